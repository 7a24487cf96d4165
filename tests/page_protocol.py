"""Talking to a running app as its page does: a free port to serve on, and one event over
Gradio's queue protocol (gradio_client refuses the page's private events, such as Ask)."""

from __future__ import annotations

import json
import socket

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def queue_event(base_url: str, session: str, fn_index: int, data: list, event_data=None) -> list:
    """Run one event in ``session`` as the page sends it; returns its outputs once it completes."""
    with httpx.Client(base_url=base_url, timeout=30) as http:
        http.post("/gradio_api/queue/join", json={"data": data, "fn_index": fn_index, "session_hash": session,
                                                   "event_data": event_data}).raise_for_status()
        with http.stream("GET", "/gradio_api/queue/data", params={"session_hash": session}) as stream:
            for line in stream.iter_lines():
                msg = json.loads(line[5:]) if line.startswith("data:") else {}
                if msg.get("msg") == "process_completed":
                    assert msg["success"], msg
                    return msg["output"]["data"]
    raise AssertionError("the event never completed")
