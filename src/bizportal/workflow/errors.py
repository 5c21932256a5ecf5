"""Why a process refused to move. Every message is in the language active when raised.

They live apart from :mod:`.engine` and :mod:`.services` so both can raise them and
callers can import them from :mod:`bizportal.workflow.services`.
"""

from __future__ import annotations


class WorkflowError(Exception):
    """Base of every refusal from the workflow app; ``str(error)`` is the message."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UnknownProcess(WorkflowError):
    """No live version of the process a service names."""


class ProcessDefinitionError(WorkflowError):
    """A BPMN file cannot be used: not XML, fails the schema, unknown step types ..."""


class TaskNotReady(WorkflowError):
    """The step asked for is not one the process is waiting for.

    This is how the process, not ad-hoc code, decides what may happen next.
    """


class InvalidTaskData(WorkflowError):
    """The values given to complete a step are missing, unknown or not allowed.

    The allowed values come from the step's form in the BPMN file
    (``camunda:formData``) and from its type's handler, so the process definition
    stays the single source.
    """
