from django.urls import re_path

from burrow.subscriptions.views import UnsubscribeView

urlpatterns = [re_path(r"^unsubscribe/?$", UnsubscribeView.as_view(), name="unsubscribe")]
