from django.urls import path

from xinbao.dashboard import views

app_name = "dashboard"

urlpatterns = [
    path("dashboard/", views.department, name="department"),
    path("dashboard/xlsx/<slug:key>/", views.department_xlsx, name="department_xlsx"),
    path("dashboard/report.docx", views.report_download, name="report"),
    path("dashboard/mine/", views.mine, name="mine"),
    path("dashboard/units/<int:pk>/", views.unit, name="unit"),
    path("dashboard/units/<int:pk>/xlsx/<slug:key>/", views.unit_xlsx, name="unit_xlsx"),
]
