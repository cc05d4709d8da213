"""The one door to GitHub's REST API: JSON over urllib, the token from the environment.

Every call the grader makes to GitHub goes through `GitHub.request`: one
request, no retries (a failure is reported, and a rate limit stops the
caller), no redirects (urllib would send the token on to wherever one
points), and the token only ever in the Authorization header: never in a
message, a repr or a log line.
"""

from __future__ import annotations

import ipaddress
import json
import os
import urllib.error
import urllib.parse
import urllib.request

DEFAULT_API_URL = "https://api.github.com"
API_VERSION = "2022-11-28"
TIMEOUT = 30.0  # seconds for one request
REASON_LIMIT = 300  # characters of GitHub's error message quoted


class GitHubError(Exception):
    """A request failed; the message says which and why, never with the token."""

    def __init__(self, message: str, status: int | None = None, rate_limited: bool = False):
        super().__init__(message)
        self.status = status
        self.rate_limited = rate_limited


def may_carry_token(url: str) -> bool:
    """HTTPS, or plain HTTP to this machine only (a test's server): a token never crosses a network in clear."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme == "https":
        return bool(parts.hostname)
    if parts.scheme != "http" or not parts.hostname:
        return False
    if parts.hostname == "localhost":
        return True
    try:
        return ipaddress.ip_address(parts.hostname).is_loopback
    except ValueError:
        return False


class NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect becomes an error (HTTPError with the 3xx status) instead of a second request."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


def token_from(variable: str) -> str:
    token = os.environ.get(variable, "").strip()
    if not token:
        raise GitHubError(f"the environment variable {variable} is not set: it must hold the token")
    return token


def quoted(*segments: str) -> str:
    """URL path segments, each percent-encoded (a `/` inside one stays inside it)."""
    return "/".join(urllib.parse.quote(segment, safe="") for segment in segments)


class GitHub:
    def __init__(self, token: str, api_url: str = DEFAULT_API_URL, timeout: float = TIMEOUT):
        if not may_carry_token(api_url):
            raise GitHubError(f"will not send a token to {api_url}: the API URL must use https")
        self._token = token
        self.api_url = api_url.rstrip("/")
        self.timeout = timeout
        self._opener = urllib.request.build_opener(NoRedirects)

    @classmethod
    def from_environment(cls, token_variable: str) -> GitHub:
        """The token from `token_variable`; the API from GITHUB_API_URL, as GitHub Actions sets it."""
        return cls(token_from(token_variable), os.environ.get("GITHUB_API_URL") or DEFAULT_API_URL)

    def __repr__(self) -> str:
        return f"GitHub({self.api_url!r})"

    def request(self, method: str, path: str, body: dict | None = None):
        """One call: the decoded JSON answer (None when empty), or GitHubError."""
        headers = {
            "Accept": "application/vnd.github+json",
            "Authorization": f"Bearer {self._token}",
            "User-Agent": "foundations-autograder",
            "X-GitHub-Api-Version": API_VERSION,
        }
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(self.api_url + path, data=data, method=method, headers=headers)
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                raw = response.read()
        except urllib.error.HTTPError as exc:
            raise http_error(method, path, exc) from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise GitHubError(f"{method} {path}: no answer from {self.api_url}: {reason}") from None
        try:
            return json.loads(raw) if raw.strip() else None
        except ValueError:
            raise GitHubError(f"{method} {path}: the answer is not JSON") from None

    # -- the calls the grader makes ---------------------------------------------------

    def list_statuses(self, repository: str, sha: str) -> list[dict]:
        """The commit's statuses, newest first (first page: the newest hundred)."""
        owner, name = repository.split("/")
        answer = self.request("GET", f"/repos/{quoted(owner, name)}/commits/{quoted(sha)}/statuses?per_page=100")
        return [s for s in answer if isinstance(s, dict)] if isinstance(answer, list) else []

    def create_status(self, repository: str, sha: str, *, state: str, description: str,
                      context: str, target_url: str | None = None) -> dict:
        owner, name = repository.split("/")
        body = {"state": state, "description": description, "context": context}
        if target_url:
            body["target_url"] = target_url
        return self.request("POST", f"/repos/{quoted(owner, name)}/statuses/{quoted(sha)}", body) or {}

    def create_commit_comment(self, repository: str, sha: str, body: str) -> dict:
        owner, name = repository.split("/")
        return self.request("POST", f"/repos/{quoted(owner, name)}/commits/{quoted(sha)}/comments",
                            {"body": body}) or {}


def http_error(method: str, path: str, exc: urllib.error.HTTPError) -> GitHubError:
    """GitHub's own words for a failed call, and whether it was a rate limit."""
    try:
        message = str(json.loads(exc.read() or b"{}").get("message", ""))
    except (ValueError, AttributeError, OSError):
        message = ""
    message = " ".join(message.split())[:REASON_LIMIT] or exc.reason
    headers = exc.headers or {}
    rate_limited = exc.code == 429 or (exc.code == 403 and (
        headers.get("X-RateLimit-Remaining") == "0" or "rate limit" in str(message).lower()))
    if 300 <= exc.code < 400:
        message = f"redirected to {headers.get('Location', 'elsewhere')}, not followed"
    return GitHubError(f"{method} {path}: {exc.code} {message}", exc.code, rate_limited)
