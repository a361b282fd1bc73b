"""What sign-in reads (e-mail and password, as PostHog's login validates them) and what `/api/users/@me/`
shows: a subset of PostHog's user, with the current organization and project and every organization the
user belongs to."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from burrow.core.addresses import INVALID_ADDRESS, InvalidAddress, address_key
from burrow.core.models import Organization, OrganizationMembership, Team, User


class LoginSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    # Kept exactly as typed: a password may start or end with a space (`burrow users set-password` keeps it).
    password = serializers.CharField(trim_whitespace=False, max_length=4096)

    def validate_email(self, value: str) -> str:
        # Also what IDNA refuses in the domain (`bob@-x.example`), which has no key to look the account up by.
        try:
            address_key(value)
        except InvalidAddress:
            raise serializers.ValidationError(INVALID_ADDRESS, code="invalid") from None
        return value


class LoginResponseSerializer(serializers.Serializer):
    success = serializers.BooleanField()


class OrganizationBasicSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    membership_level = serializers.IntegerField(allow_null=True)


class TeamBasicSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    project_id = serializers.IntegerField(allow_null=True)
    name = serializers.CharField()


class CurrentUserSerializer(serializers.ModelSerializer):
    organization = serializers.SerializerMethodField()
    team = serializers.SerializerMethodField()
    organizations = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = [
            "uuid",
            "distinct_id",
            "first_name",
            "last_name",
            "email",
            "is_email_verified",
            "organization",
            "team",
            "organizations",
        ]
        read_only_fields = fields

    def _memberships(self, user: User) -> list[OrganizationMembership]:
        cache = self.context.setdefault("memberships", {})
        if user.pk not in cache:
            cache[user.pk] = list(
                OrganizationMembership.objects.filter(user=user)
                .select_related("organization")
                .order_by("joined_at", "id")
            )
        return cache[user.pk]

    def _current_organization(self, user: User) -> Organization | None:
        """The user's current organization while they belong to it, else the first they joined."""
        memberships = self._memberships(user)
        for membership in memberships:
            if membership.organization_id == user.current_organization_id:
                return membership.organization
        return memberships[0].organization if memberships else None

    @staticmethod
    def _org(membership: OrganizationMembership) -> dict:
        org = membership.organization
        return {"id": org.id, "name": org.name, "membership_level": membership.level}

    @extend_schema_field(OrganizationBasicSerializer(allow_null=True))
    def get_organization(self, user: User) -> dict | None:
        current = self._current_organization(user)
        for membership in self._memberships(user):
            if current is not None and membership.organization_id == current.id:
                return OrganizationBasicSerializer(self._org(membership)).data
        return None

    @extend_schema_field(TeamBasicSerializer(allow_null=True))
    def get_team(self, user: User) -> dict | None:
        """The current project's environment when it is in the current organization, else that organization's
        first one: never a project of an organization the user has left."""
        org = self._current_organization(user)
        if org is None:
            return None
        team = user.current_team if user.current_team_id else None
        if team is None or team.organization_id != org.id:
            team = Team.objects.filter(organization=org).order_by("id").first()
        if team is None:
            return None
        return TeamBasicSerializer({"id": team.id, "project_id": team.project_id, "name": team.name}).data

    @extend_schema_field(OrganizationBasicSerializer(many=True))
    def get_organizations(self, user: User) -> list[dict]:
        return OrganizationBasicSerializer([self._org(m) for m in self._memberships(user)], many=True).data
