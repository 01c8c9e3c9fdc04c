from django.urls import path

from xinbao.items import views

app_name = "items"

urlpatterns = [
    path("items/", views.item_list, name="list"),
    path("items/new/", views.item_new, name="new"),
    path("items/new/from-docx/", views.item_new_from_docx, name="new_from_docx"),
    path("items/<int:pk>/", views.item_detail, name="detail"),
    path("items/<int:pk>/edit/", views.item_edit, name="edit"),
    path("items/<int:pk>/move/", views.item_move, name="move"),
    path("items/<int:pk>/attachments/", views.item_attach, name="attach"),
    path(
        "items/<int:pk>/attachments/<int:attachment_id>/",
        views.attachment_download,
        name="attachment",
    ),
    path("items/secrecy-terms/", views.secrecy_terms, name="secrecy_terms"),
    path("signoff/", views.signoff, name="signoff"),
    path("inbox/", views.inbox, name="inbox"),
]
