from django.urls import path

from xinbao.notify import views

app_name = "notify"

urlpatterns = [
    path("messages/", views.notification_list, name="list"),
    path("messages/read/", views.mark_all_read, name="mark_read"),
    path("messages/<int:pk>/", views.notification_open, name="open"),
    path("messages/<int:pk>/read/", views.mark_read, name="mark_one_read"),
    path("messages/preferences/", views.preferences, name="preferences"),
    path("messages/webhook/", views.webhook, name="webhook"),
    path("notices/", views.notice_list, name="notices"),
    path("notices/new/", views.notice_new, name="notice_new"),
    path("notices/<int:pk>/", views.notice_detail, name="notice"),
    path("notices/<int:pk>/receipts/", views.notice_receipts, name="notice_receipts"),
    path(
        "notices/<int:pk>/attachments/<int:attachment_pk>/",
        views.notice_attachment,
        name="notice_attachment",
    ),
    path("notices/<int:pk>/issue.docx", views.notice_issue_docx, name="notice_issue_docx"),
    path("issues/<int:issue_pk>/distribute/", views.issue_distribute, name="issue_distribute"),
]
