"""Response bodies of the Notion API: the list envelope, errors, pagination parameters."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

JSON = dict[str, Any]
MAX_PAGE_SIZE = 100

ERROR_CODES = {
    400: "validation_error",
    401: "unauthorized",
    403: "restricted_resource",
    404: "object_not_found",
    409: "conflict_error",
    429: "rate_limited",
    500: "internal_server_error",
    502: "bad_gateway",
    503: "service_unavailable",
    504: "gateway_timeout",
    529: "service_overload",
}
ERROR_MESSAGES = {
    401: "API token is invalid.",
    403: "API token does not have access to this resource.",
    409: "Conflict occurred while saving. Please try again.",
    429: "You have been rate limited. Please try again in a few minutes.",
    500: "Unexpected error occurred.",
    502: "Bad Gateway",
    503: "Notion is unavailable, please try again later.",
    504: "Gateway Timeout",
    529: "Notion is overloaded, please try again later.",
}


class ApiError(Exception):
    """An error answer: ``status``, ``code``, ``message``, optional ``additional_data``."""

    def __init__(
        self,
        status: int,
        code: str | None = None,
        message: str | None = None,
        *,
        additional_data: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.status = status
        self.code = code or ERROR_CODES.get(status, "internal_server_error")
        self.message = message or ERROR_MESSAGES.get(status, "Unexpected error occurred.")
        self.additional_data = additional_data
        self.headers = headers or {}
        super().__init__(f"{status} {self.code}: {self.message}")

    def body(self) -> JSON:
        """The JSON error body (without ``request_id``, added by the server)."""
        body: JSON = {
            "object": "error",
            "status": self.status,
            "code": self.code,
            "message": self.message,
        }
        if self.additional_data is not None:
            body["additional_data"] = self.additional_data
        return body


@dataclass
class ApiResponse:
    """A successful JSON answer; ``headers`` are extra response headers."""

    body: JSON
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


def validation_error(message: str) -> ApiError:
    """``400 validation_error`` with ``message``."""
    return ApiError(400, "validation_error", message)


def invalid_cursor(cursor: str) -> ApiError:
    """The stale/unknown cursor error clients must handle by restarting the listing."""
    return validation_error(f"The start_cursor provided is invalid: {cursor}")


def invalid_request_url() -> ApiError:
    """Unknown path or method."""
    return ApiError(400, "invalid_request_url", "Invalid request URL.")


def not_found(kind: str, object_id: str, integration_name: str, integration_id: str) -> ApiError:
    """``404 object_not_found`` exactly as Notion words it (missing and unshared look alike)."""
    if kind == "user":
        message = (
            f"Could not find user with ID: {object_id}. Make sure your integration has "
            "capabilities to read user information. With those capabilities, only members and "
            "guests in the integration's workspace are visible."
        )
    else:
        message = (
            f"Could not find {kind} with ID: {object_id}. Make sure the relevant pages and "
            f'databases are shared with your integration "{integration_name}".'
        )
    return ApiError(
        404, "object_not_found", message, additional_data={"integration_id": integration_id}
    )


def list_body(
    results: list[JSON], next_cursor: str | None, list_type: str, type_value: JSON | None = None
) -> JSON:
    """The list envelope; ``next_cursor`` is None iff ``has_more`` is false."""
    return {
        "object": "list",
        "results": results,
        "next_cursor": next_cursor,
        "has_more": next_cursor is not None,
        "type": list_type,
        list_type: type_value if type_value is not None else {},
    }


def parse_page_size(raw: Any, where: str, default: int = MAX_PAGE_SIZE) -> int:
    """``page_size`` from a query string (``where="query"``) or body (``"body"``)."""
    if raw is None:
        return default
    try:
        size = int(raw)
    except (TypeError, ValueError):
        raise validation_error(
            f"{where} failed validation: {where}.page_size should be a number, "
            f'instead was `"{raw}"`.'
        ) from None
    if size > MAX_PAGE_SIZE:
        raise validation_error(
            f"{where} failed validation: {where}.page_size should be ≤ `{MAX_PAGE_SIZE}`, "
            f"instead was `{size}`."
        )
    if size < 1:
        raise validation_error(
            f"{where} failed validation: {where}.page_size should be ≥ `1`, instead was `{size}`."
        )
    return size
