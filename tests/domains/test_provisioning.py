"""The one way people join an organization through a domain (SAML just-in-time and SCIM both use it), and
which verified domain governs an address."""

import pytest

from burrow.core.models import OrganizationMembership, User
from burrow.domains import provisioning
from burrow.domains.models import OrganizationDomain

pytestmark = pytest.mark.django_db
Level = OrganizationMembership.Level


def test_the_domain_of_an_address_is_its_idna_form_and_nothing_for_a_malformed_one():
    assert provisioning.email_domain("Bob@Tſinc.Example") == "tsinc.example"
    assert provisioning.email_domain("bob@bücher.example") == "xn--bcher-kva.example"
    assert provisioning.email_domain("no-at-sign") == ""


def test_only_a_verified_claim_governs_an_address(tenant, other_tenant, verified_domain):
    OrganizationDomain.objects.create(organization=other_tenant.organization, domain="claimed.example")
    claim = verified_domain("claimed.example")
    assert provisioning.verified_domain_for_email("ann@CLAIMED.example") == claim
    assert provisioning.verified_domain_for_email("ann@other.example") is None
    assert provisioning.verified_domain_for_email("not an address") is None
    OrganizationDomain.objects.filter(pk=claim.pk).update(verified_at=None)
    assert provisioning.verified_domain_for_email("ann@claimed.example") is None


def test_sso_enforcement_is_the_verified_domains_provider_or_none(tenant, verified_domain):
    verified_domain("open.example")
    verified_domain("strict.example", sso_enforcement="saml")
    OrganizationDomain.objects.create(
        organization=tenant.organization, domain="unproven.example", sso_enforcement="google-oauth2"
    )
    assert provisioning.sso_enforcement_for_email("ann@strict.example") == "saml"
    assert provisioning.sso_enforcement_for_email("ann@open.example") is None
    assert provisioning.sso_enforcement_for_email("ann@unproven.example") is None
    assert provisioning.sso_enforcement_for_email("ann@nowhere.example") is None


def test_a_person_is_found_by_any_spelling_of_their_address(tenant):
    ann = provisioning.create_user("ann@example.com")
    assert provisioning.find_user(" ANN@Example.COM ") == ann
    assert provisioning.find_user("bob@example.com") is None
    assert provisioning.find_user("not an address") is None


def test_a_provisioned_person_has_no_password_a_vouched_address_and_names_that_fit():
    person = provisioning.create_user("  carol@example.com ", "C" * 200, "D" * 151)
    person.refresh_from_db()
    assert person.email == "carol@example.com"
    assert not person.has_usable_password() and person.is_email_verified
    assert (len(person.first_name), len(person.last_name)) == (150, 150)
    nameless = provisioning.create_user("dan@example.com")  # a provider that sends no names
    assert (nameless.first_name, nameless.last_name) == ("", "")


def test_creating_an_existing_person_in_another_spelling_returns_them():
    ann = provisioning.create_user("ann@example.com", "Ann")
    again = provisioning.create_user("ANN@example.com", "Someone else")
    assert again.pk == ann.pk and again.first_name == "Ann"
    assert User.objects.filter(email_key=ann.email_key).count() == 1


def test_joining_keeps_an_existing_level_and_points_a_newcomer_at_the_organization(tenant, other_tenant):
    newcomer = provisioning.create_user("new@example.com")
    membership = provisioning.join_organization(newcomer, tenant.organization)
    assert membership.level == Level.MEMBER
    newcomer.refresh_from_db()
    assert newcomer.current_organization_id == tenant.organization.id
    admin = provisioning.join_organization(newcomer, other_tenant.organization, level=Level.ADMIN)
    assert admin.level == Level.ADMIN
    newcomer.refresh_from_db()
    assert newcomer.current_organization_id == tenant.organization.id  # a second organization: not moved
    again = provisioning.join_organization(newcomer, other_tenant.organization, level=Level.MEMBER)
    assert again.pk == admin.pk and again.level == Level.ADMIN


def test_joining_points_only_the_newcomer_and_never_over_a_choice_made_meanwhile(tenant, other_tenant):
    bystander = provisioning.create_user("bystander@example.com")  # in no organization yet
    newcomer = provisioning.create_user("new@example.com")
    stale = User.objects.get(pk=newcomer.pk)
    User.objects.filter(pk=newcomer.pk).update(current_organization=other_tenant.organization)  # chosen since
    provisioning.join_organization(stale, tenant.organization)
    assert User.objects.get(pk=newcomer.pk).current_organization_id == other_tenant.organization.id
    assert User.objects.get(pk=bystander.pk).current_organization_id is None


def test_leaving_one_organization_keeps_the_others_and_clears_only_what_pointed_into_it(tenant, other_tenant):
    person = tenant.user
    provisioning.join_organization(person, other_tenant.organization)
    User.objects.filter(pk=person.pk).update(
        current_organization=tenant.organization, current_team=tenant.team
    )
    assert provisioning.leave_organization(person, other_tenant.organization) is True
    person.refresh_from_db()
    assert (person.current_organization_id, person.current_team_id) == (
        tenant.organization.id,
        tenant.team.id,
    )
    assert OrganizationMembership.objects.filter(user=person, organization=tenant.organization).exists()
    assert provisioning.leave_organization(person, other_tenant.organization) is False

    provisioning.join_organization(person, other_tenant.organization)
    User.objects.filter(pk=person.pk).update(
        current_organization=other_tenant.organization, current_team=other_tenant.team
    )
    assert provisioning.leave_organization(person, other_tenant.organization) is True
    person.refresh_from_db()
    assert (person.current_organization_id, person.current_team_id) == (None, None)
    # Everyone else who works in that organization keeps pointing at it.
    other_tenant.user.refresh_from_db()
    assert other_tenant.user.current_organization_id == other_tenant.organization.id
    assert other_tenant.user.current_team_id == other_tenant.team.id
