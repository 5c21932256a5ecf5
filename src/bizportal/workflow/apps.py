from django.apps import AppConfig


class WorkflowConfig(AppConfig):
    name = "bizportal.workflow"
    label = "workflow"
