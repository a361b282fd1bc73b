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


def strict(data: bytes):
    """Parsed with the standard library's strict policy: any defect raises."""
    return email.message_from_bytes(data, policy=email.policy.strict)


def test_list_unsubscribe_is_a_plain_url_however_long():
    url = "https://reports.example.com/unsubscribe?token=" + "A1b2-_" * 60
    data = report_message(
        [
            ("Subject", "S"),
            ("List-Unsubscribe", f"<{url}>"),
            ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
        ],
        "t",
        "h",
    )
    assert b"=?utf-8?" not in data
    mail = strict(data)
    assert mail["List-Unsubscribe"] == f"<{url}>"
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert all(len(line) <= 998 for line in data.split(b"\r\n"))


def test_long_ascii_subjects_fold_at_spaces_and_read_back_unencoded():
    subject = "PostHog Dashboard report - " + "Quarterly revenue by region " * 6
    data = report_message([("Subject", subject), ("Message-ID", "<x.y@burrow>")], "t", "h")
    assert b"=?utf-8?" not in data
    head = data.split(b"\r\n\r\n")[0].split(b"\r\nDate:")[0]
    assert head.count(b"\r\n ") >= 2 and all(len(line) <= 78 for line in head.split(b"\r\n"))
    mail = strict(data)
    assert mail["Subject"] == subject and mail["Message-ID"] == "<x.y@burrow>"


def test_non_ascii_subjects_and_display_names_are_still_encoded():
    data = report_message(
        [("Subject", "Umsätze 📈"), ("From", "Zoë <r@example.com>"), ("To", "a@example.com")], "t", "h"
    )
    assert data.isascii()
    mail = strict(data)
    assert mail["Subject"] == "Umsätze 📈" and mail["From"].addresses[0].display_name == "Zoë"


def test_message_ids_and_urls_must_be_ascii():
    import pytest

    with pytest.raises(ValueError):
        header("List-Unsubscribe", "<https://bücher.example/unsubscribe>")


def test_a_plain_text_notice_carries_headers_with_line_breaks_collapsed():
    from burrow.core.mime import text_message

    mail = strict(
        text_message(
            [("Subject", 'PostHog subscription "Q1\r\nBcc: x@example.com" off'), ("To", "a@example.com")],
            "body",
        )
    )
    assert mail["Bcc"] is None and mail["Subject"] == 'PostHog subscription "Q1 Bcc: x@example.com" off'
    assert mail.get_content() == "body"
