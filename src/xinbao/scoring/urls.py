from django.urls import path

from xinbao.scoring import views

app_name = "scoring"

urlpatterns = [
    path("scoring/ranking/", views.ranking, name="ranking"),
    path("scoring/mine/", views.mine, name="mine"),
    path("scoring/units/<int:pk>/", views.statement, name="statement"),
    path("scoring/officers/<int:pk>/", views.officer_statement, name="officer_statement"),
    path("scoring/units/<int:pk>/adjustments/", views.adjustment_new, name="adjustment_new"),
    path("scoring/adjustments/<int:pk>/revoke/", views.adjustment_revoke, name="adjustment_revoke"),
    path("scoring/whatif/", views.whatif, name="whatif"),
    path("scoring/yearend/", views.yearend, name="yearend"),
    path("scoring/bulletin.docx", views.bulletin_download, name="bulletin"),
    path("scoring/statistics.xlsx", views.statistics_download, name="statistics"),
    path("scoring/items/<int:pk>/review/", views.review, name="review"),
    path("scoring/classes/", views.unit_classes, name="classes"),
    path("scoring/rules/", views.rules, name="rules"),
    path("scoring/rules/download/", views.rules_download, name="rules_download"),
]
