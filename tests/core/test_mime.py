"""Report mails written as bytes must read back, with the standard parser, as the message we meant."""

import email
import email.policy

from burrow.core.mime import InlineImage, header, report_message

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40


def parse(data: bytes):
    return email.message_from_bytes(data, policy=email.policy.default)


def test_structure_headers_and_inline_pictures_read_back():
    data = report_message(
        [
            ("Subject", "PostHog Insight report - Umsätze €uro 📈 " + "long " * 20),
            ("From", "Zoë Bürrow <reports@example.com>"),
            ("To", "a@example.com"),
            ("Message-ID", "<abc.def@burrow>"),
        ],
        "Plain: Grüße",
        '<p>HTML: Grüße</p><img src="cid:insight-1@burrow">',
        [InlineImage(PNG, "insight-1@burrow", "chart.png")],
    )
    assert all(len(line) <= 998 for line in data.split(b"\r\n"))
    assert data.isascii()
    mail = parse(data)
    assert mail["Subject"] == "PostHog Insight report - Umsätze €uro 📈 " + "long " * 20
    assert mail["From"].addresses[0].display_name == "Zoë Bürrow"
    assert mail["From"].addresses[0].addr_spec == "reports@example.com"
    assert mail.get_content_type() == "multipart/alternative"
    assert mail.get_body(("plain",)).get_content() == "Plain: Grüße"
    assert mail.get_body(("html",)).get_content().startswith("<p>HTML: Grüße</p>")
    [image] = [p for p in mail.walk() if p.get_content_type() == "image/png"]
    assert image.get_content() == PNG and image["Content-ID"] == "<insight-1@burrow>"
    assert image.get_content_disposition() == "inline" and image.get_filename() == "chart.png"
    assert mail["Date"] and mail["MIME-Version"] == "1.0"


def test_line_breaks_in_values_cannot_add_headers():
    line = header("Subject", "Revenue\r\nBcc: victim@example.com")
    assert line.count(b"\r\n") == 1 and b"\r\nBcc" not in line
    mail = parse(report_message([("Subject", "Revenue\nBcc: victim@example.com")], "t", "h"))
    assert mail["Bcc"] is None


def test_without_pictures_the_html_is_a_plain_alternative():
    mail = parse(report_message([("Subject", "S")], "text", "<b>html</b>"))
    assert [p.get_content_type() for p in mail.iter_parts()] == ["text/plain", "text/html"]
