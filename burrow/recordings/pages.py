"""`/project/:id/replay/:session_id`: a member watches one recording of the project (signed in; the same
membership check as the API)."""

from urllib.parse import quote

from django.http import HttpResponse
from django.shortcuts import render
from rest_framework.request import Request

from burrow.analytics.pages import MemberPage
from burrow.recordings.models import Recording


class ReplayPage(MemberPage):
    scope_object = "session_recording"
    queryset = Recording.objects.all()
    lookup_field = "session_id"
    lookup_url_kwarg = "recording_id"
    replays = True

    def get(self, request: Request, **kwargs: str) -> HttpResponse:
        recording = self.get_object()
        snapshots = f"/api/environments/{self.team.id}/session_recordings/{quote(recording.session_id, safe='')}/snapshots/"
        context = self.page_context(recorded=recording, snapshots_url=snapshots)
        return render(request, "recordings/replay.html", context)
