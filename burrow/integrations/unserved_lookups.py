"""The reference's look-up routes whose look-up Burrow does not make (Jira, Google Ads, ClickUp, Anthropic and
some Slack and GitHub ones). Each is served all the same, so a client gets the reference's answer on another
provider's integration (400 naming the provider); on its own provider's integration it answers 400 saying
Burrow does not offer it."""

from dataclasses import dataclass
from typing import NoReturn

from rest_framework.exceptions import ValidationError

from burrow.integrations.models import Integration

NOT_OFFERED = "Burrow does not offer the {name} look-up."


@dataclass(frozen=True)
class UnservedLookup:
    name: str  # the route, `GET …/integrations/:id/<name>/`
    kinds: tuple[str, ...]  # the provider's kinds
    label: str
    write: bool = False  # the reference asks for `integration:write` (it lists every Search Console site)


UNSERVED_LOOKUPS = (
    UnservedLookup("users", ("slack", "slack-posthog-code"), "Slack"),
    UnservedLookup("github_branches", ("github",), "GitHub"),
    UnservedLookup("github_teams", ("github",), "GitHub"),
    UnservedLookup("jira_projects", ("jira",), "Jira"),
    UnservedLookup("google_conversion_actions", ("google-ads",), "Google Ads"),
    UnservedLookup("google_accessible_accounts", ("google-ads",), "Google Ads"),
    UnservedLookup("google_search_console_sites", ("google-search-console",), "Google Search Console", True),
    UnservedLookup("clickup_spaces", ("clickup",), "ClickUp"),
    UnservedLookup("clickup_lists", ("clickup",), "ClickUp"),
    UnservedLookup("clickup_workspaces", ("clickup",), "ClickUp"),
    UnservedLookup("anthropic_managed_agents", ("anthropic",), "Anthropic"),
    UnservedLookup("anthropic_managed_agent_environments", ("anthropic",), "Anthropic"),
    UnservedLookup("anthropic_managed_agent_vaults", ("anthropic",), "Anthropic"),
)


def refuse(integration: Integration, lookup: UnservedLookup) -> NoReturn:
    """Always a 400: the reference's for another provider's integration, else that Burrow does not offer it."""
    if integration.kind not in lookup.kinds:
        if lookup.label == "Anthropic":  # the reference words this one differently
            raise ValidationError(
                f"Integration {integration.id} is not an Anthropic integration (kind={integration.kind!r})"
            )
        raise ValidationError(f"{lookup.name} endpoint is only supported for {lookup.label} integrations")
    raise ValidationError(NOT_OFFERED.format(name=lookup.name))
