"""Why a process refused to move. Every message reads "ไทย / English".

They live apart from :mod:`.engine` and :mod:`.services` so both can raise them and
callers can import them from :mod:`bizportal.workflow.services`.
"""

from __future__ import annotations


class WorkflowError(Exception):
    """Base of every refusal from the workflow app; ``str(error)`` is bilingual."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UnknownProcess(WorkflowError):
    """A service names a process id that no file in ``workflow/bpmn/`` defines."""


class ProcessDefinitionError(WorkflowError):
    """A BPMN file exists but cannot be used (invalid XML, fails the schema, ...)."""


class TaskNotReady(WorkflowError):
    """The step asked for is not the one the process is waiting for.

    This is how the process, not ad-hoc code, decides what may happen next.
    """


class ProcessNotStarted(TaskNotReady):
    """Nothing is ready because the application's process has not started yet."""


class ProcessAlreadyStarted(WorkflowError):
    """An application has one process; starting it twice is a bug in the caller."""


class InvalidTaskData(WorkflowError):
    """The values given to complete a step are missing, unknown or not allowed.

    The allowed values come from the step's form in the BPMN file
    (``camunda:formData``), so the process definition stays the single source.
    """
