"""A stand-in for GitHub on 127.0.0.1 that records every request it gets.

It answers the three REST calls the grader makes (list a commit's statuses,
create a commit comment, create a commit status) the way GitHub documents
them, keeps the statuses it was given so that a second run sees them, and
answers anything else 404 (git's smart-HTTP requests included: they are
recorded, which is how a test sees the header git sent). `refuse` makes it
answer one repository's calls with GitHub's rate-limit error, `redirect`
every call with a redirect.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

REPO = r"/repos/(?P<repo>[^/]+/[^/]+)"
ROUTES = {
    ("GET", re.compile(REPO + r"/commits/(?P<sha>[0-9a-f]{40})/statuses")): "list_statuses",
    ("POST", re.compile(REPO + r"/commits/(?P<sha>[0-9a-f]{40})/comments")): "create_comment",
    ("POST", re.compile(REPO + r"/statuses/(?P<sha>[0-9a-f]{40})")): "create_status",
}


@dataclass
class Request:
    method: str
    path: str  # with the query string
    headers: dict[str, str]  # names in lower case
    body: object  # decoded JSON, or None


@dataclass
class State:
    requests: list[Request] = field(default_factory=list)
    statuses: dict[tuple[str, str], list[dict]] = field(default_factory=dict)
    comments: int = 0
    refuse: set[str] = field(default_factory=set)  # repositories answered with a rate limit
    redirect: str | None = None  # when set, every request is answered 301 to this URL
    lock: threading.Lock = field(default_factory=threading.Lock)


class Handler(BaseHTTPRequestHandler):
    state: State  # set on the server's handler class

    def log_message(self, format, *args):  # quiet: the test reads `requests`
        pass

    def do_GET(self):
        self.answer("GET")

    def do_POST(self):
        self.answer("POST")

    def answer(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        headers = {name.lower(): value for name, value in self.headers.items()}  # names are case-blind
        request = Request(method, self.path, headers, json.loads(raw) if raw else None)
        with self.state.lock:
            self.state.requests.append(request)
            status, headers, body = self.route(request)
        data = json.dumps(body).encode()
        self.send_response(status)
        for name, value in {"Content-Type": "application/json", **headers}.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def route(self, request: Request) -> tuple[int, dict, object]:
        if self.state.redirect:
            return 301, {"Location": self.state.redirect}, {"message": "Moved Permanently"}
        path = urlsplit(request.path).path
        for (method, pattern), name in ROUTES.items():
            match = pattern.fullmatch(path)
            if method == request.method and match:
                if match["repo"] in self.state.refuse:
                    return 403, {"X-RateLimit-Remaining": "0"}, {"message": "API rate limit exceeded"}
                return getattr(self, name)(match["repo"], match["sha"], request.body)
        return 404, {}, {"message": "Not Found"}

    def list_statuses(self, repo, sha, body):
        return 200, {}, list(reversed(self.state.statuses.get((repo, sha), [])))

    def create_comment(self, repo, sha, body):
        self.state.comments += 1
        number = self.state.comments
        return 201, {}, {"id": number, "body": body["body"], "commit_id": sha,
                         "html_url": f"https://github.example/{repo}/commit/{sha}#commitcomment-{number}"}

    def create_status(self, repo, sha, body):
        self.state.statuses.setdefault((repo, sha), []).append(body)
        return 201, {}, body | {"id": len(self.state.statuses[(repo, sha)])}


class FakeGitHub:
    """`with FakeGitHub() as github:` serves on github.url until the block ends."""

    def __init__(self):
        self.state = State()
        handler = type("BoundHandler", (Handler,), {"state": self.state})
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FakeGitHub:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    @property
    def requests(self) -> list[Request]:
        with self.state.lock:
            return list(self.state.requests)
