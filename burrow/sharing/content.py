"""What a share shows: the JSON of exactly the shared resource (PostHog's `exported_data`) and the context of
its page (tiles rendered by analytics/tiles.py)."""

from dataclasses import replace
from typing import Any

from django.utils.functional import cached_property

from burrow.analytics.computing import Computed, compute_all
from burrow.analytics.models import INSIGHT_CONTENT_FIELDS, Dashboard, DashboardTile, Insight
from burrow.analytics.tiles import TileFlags, cell, placed_insights, rendered_tiles
from burrow.core.prepared import PreparedQuery
from burrow.recordings.models import Recording
from burrow.recordings.serializers import RecordingSerializer
from burrow.sharing.models import SessionRecording, SharingConfiguration
from burrow.sharing.serializers import BOOLEAN_SETTINGS

# A shared dashboard's tiles, read on every view (compiled once: burrow/core/prepared.py).
_LIVE_TILES = PreparedQuery(
    lambda p: (
        DashboardTile.objects.filter(dashboard_id=p.dashboard, deleted=False, insight__deleted=False)
        .select_related("insight")
        .order_by("id")
    ),  # tiles at the same place keep the order they were added in
    dashboard=int,
)


class Share:
    """One resolved share: its configuration, flags and resource, as the page and the JSON show them."""

    def __init__(self, config: SharingConfiguration, embedded: bool) -> None:
        self.config = config
        self.embedded = embedded
        self.kind = config.resource_kind
        self.resource = getattr(config, self.kind)

    @cached_property
    def flags(self) -> dict[str, Any]:
        """Settings that are on (whitelabel needs no plan in Burrow), and the theme when one is set."""
        flags: dict[str, Any] = {name: True for name in BOOLEAN_SETTINGS if self.config.setting(name) is True}
        if self.config.setting("theme"):
            flags["theme"] = self.config.setting("theme")
        return flags

    def tiles(self) -> list[DashboardTile]:
        """A dashboard's live tiles with their insights, in layout order (as the dashboard API orders them)."""
        return sorted(_LIVE_TILES.all(dashboard=self.resource.id), key=lambda tile: tile.layout_position)

    @cached_property
    def recorded(self) -> Recording | None:
        """A shared recording's data, once a client has sent some (a link may be made before that)."""
        if not isinstance(self.resource, SessionRecording):
            return None
        return recorded_data(self.resource)

    @property
    def title(self) -> str:
        if isinstance(self.resource, Insight):
            return self.resource.display_name
        if isinstance(self.resource, SessionRecording):
            return f"Recording {self.resource.session_id}"
        return str(self.resource)

    def exported_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "type": "embed" if self.embedded else "scene",
            "accessToken": self.config.access_token,
            **self.flags,
        }
        if isinstance(self.resource, Dashboard):
            tiles = self.tiles()
            computed = compute_all([tile.insight for tile in tiles])
            data["dashboard"] = {
                "id": self.resource.id,
                "name": self.resource.name,
                "description": self.resource.description,
                "tiles": [
                    {
                        "id": tile.id,
                        "layouts": tile.layouts,
                        "insight": _insight_data(tile.insight, computed.get(tile.insight.id)),
                    }
                    for tile in tiles
                ],
            }
        elif isinstance(self.resource, Insight):
            data["insight"] = _insight_data(self.resource, compute_all([self.resource]).get(self.resource.id))
        else:
            data["recording"] = _recording_data(self.resource, self.recorded)
        return data

    def page_context(self) -> dict[str, Any]:
        flags = self.flags
        context: dict[str, Any] = {
            "kind": self.kind,
            "title": self.title,
            "description": getattr(self.resource, "description", ""),
            "embedded": self.embedded,
            "theme": flags.get("theme", "light"),
            "show_header": not flags.get("noHeader"),
            "show_branding": not flags.get("whitelabel"),
            "show_details": not flags.get("hideExtraDetails"),
        }
        tile_flags = TileFlags(
            legend=bool(flags.get("legend")),
            detailed=bool(flags.get("detailed")),
            show_details=context["show_details"],
        )
        if isinstance(self.resource, Dashboard):
            context["tiles"] = rendered_tiles(placed_insights(self.resource.id), tile_flags)
        elif isinstance(self.resource, Insight):
            # The insight's tile is the page: its title and description head it, unless noHeader.
            tile_flags = replace(tile_flags, show_title=context["show_header"])
            context["show_header"] = False
            context["tiles"] = rendered_tiles([(self.resource, True)], tile_flags)
        else:
            context["recording"] = _recording_data(self.resource, self.recorded)
            context["recorded"] = self.recorded
            context["snapshots_url"] = (
                f"/{'embedded' if self.embedded else 'shared'}/{self.config.access_token}/snapshots"
            )
            context["inspector"] = (
                _metadata_rows(self.resource.metadata) if flags.get("showInspector") else None
            )
        return context


def _insight_data(insight: Insight, answer: Computed | None) -> dict[str, Any]:
    """The insight as the API shows it; one computed from its query (the shared insight's own, never the
    viewer's) with the answer's rows in `result`, their columns and when they were computed."""
    data = {name: getattr(insight, name) for name in INSIGHT_CONTENT_FIELDS}
    data["last_modified_at"] = insight.last_modified_at.isoformat().replace("+00:00", "Z")
    if answer is not None:
        data.update(answer.answer_fields(), error=answer.error)
    return data


def recorded_data(recording: SessionRecording) -> Recording | None:
    """What a client has sent of a shared recording (a link may be made before anything arrives)."""
    return Recording.objects.filter(team_id=recording.team_id, session_id=recording.session_id).first()


def _recording_data(recording: SessionRecording, recorded: Recording | None) -> dict[str, Any]:
    """The recording as the recordings API shows it (when it has data), with when its link was made."""
    return {
        **(RecordingSerializer(recorded).data if recorded is not None else {}),
        "id": recording.session_id,
        "created_at": recording.created_at.isoformat().replace("+00:00", "Z"),
        "metadata": recording.metadata,
        "has_data": recorded is not None,
    }


def _metadata_rows(metadata: Any) -> list[tuple[str, str]]:
    if not isinstance(metadata, dict):
        return []
    return [(str(key), cell(value)) for key, value in metadata.items()]
