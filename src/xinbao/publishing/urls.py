from django.urls import include, path

from xinbao.publishing import views

app_name = "publishing"

urlpatterns = [
    path("publications/", views.publication_list, name="publications"),
    path("publications/<int:pk>/", views.publication_detail, name="publication"),
    path("publications/<int:pk>/issues/new/", views.issue_new, name="issue_new"),
    path("issues/<int:pk>/", views.issue_detail, name="issue"),
    path("issues/<int:pk>/meta/", views.issue_meta, name="issue_meta"),
    path("issues/<int:pk>/add/", views.issue_add, name="issue_add"),
    path("issues/<int:pk>/entries/<int:entry_id>/", views.entry_edit, name="entry_edit"),
    path("issues/<int:pk>/entries/<int:entry_id>/remove/", views.entry_remove, name="entry_remove"),
    path("issues/<int:pk>/entries/<int:entry_id>/move/", views.entry_move, name="entry_move"),
    path("issues/<int:pk>/publish/", views.issue_publish, name="issue_publish"),
    path("issues/<int:pk>/correct/", views.issue_correct, name="issue_correct"),
    path("issues/<int:pk>/word/", views.issue_docx, name="issue_docx"),
    path("issues/<int:pk>/pdf/", views.issue_pdf, name="issue_pdf"),
    path("items/<int:pk>/forward/", views.item_forward, name="item_forward"),
    path(
        "items/<int:pk>/external-adoptions/",
        views.external_adoption_new,
        name="external_adoption_new",
    ),
    path("items/<int:pk>/instructions/", views.instruction_new, name="instruction_new"),
    path(
        "items/<int:pk>/instructions/<int:instruction_pk>/feedback/",
        views.instruction_feedback,
        name="instruction_feedback",
    ),
    path("forwarded/", views.forwarded_list, name="forwarded"),
    path("forwarded/<int:pk>/", views.forwarding_decide, name="forwarding_decide"),
    path("column/", include("xinbao.publishing.public_urls")),
]
