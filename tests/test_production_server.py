"""The HTTP server (waitress, driven by bot.server.HttpServer): stopping is graceful.

A plain WSGI app that holds its answer until the test lets it go stands in for a slow request, so what is
checked is the server's own behaviour: once asked to stop it takes no new connection, the request already in
flight still gets its whole answer, and only then does serve_forever return.
"""

from __future__ import annotations

import http.client
import os
import socket
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import pytest

from bot.server import HttpServer, make_http_server
from tests.conftest import poll_until

BODY = b"x" * 24_000_000  # more than waitress buffers (16 MB) plus socket buffers: flushing it takes the event loop


class HeldApp:
    """A WSGI app whose /slow answer waits for `release`; /fast answers at once."""

    def __init__(self) -> None:
        self.started = threading.Event()
        self.release = threading.Event()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ["PATH_INFO"] == "/slow":
            self.started.set()
            assert self.release.wait(30), "the test never released the request"
            start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(BODY)))])
            return [BODY]
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "4")])
        return [b"fast"]


@pytest.fixture
def held() -> HeldApp:
    return HeldApp()


@pytest.fixture
def server(held: HeldApp) -> Iterator[HttpServer]:
    built = make_http_server(held, "127.0.0.1", 0)
    thread = threading.Thread(target=built.serve_forever, daemon=True)
    thread.start()
    yield built
    held.release.set()
    built.shutdown()
    built.server_close()


def get(server: HttpServer, path: str) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection(*server.server_address, timeout=30)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def connection_refused(server: HttpServer) -> bool:
    """True once the port refuses connections. A probe whose handshake meets the listener as it closes is
    reset instead (the kernel drops what was still queued); that says nothing yet, so the next probe decides."""
    try:
        socket.create_connection(server.server_address, timeout=5).close()
    except ConnectionRefusedError:
        return True
    except ConnectionResetError:
        return False
    return False


def test_the_server_answers_requests(server: HttpServer) -> None:
    assert get(server, "/fast") == (200, b"fast")


def test_stopping_refuses_new_connections_and_finishes_the_request_in_flight(server: HttpServer, held: HeldApp) -> None:
    answers: list[tuple[int, bytes]] = []
    in_flight = threading.Thread(target=lambda: answers.append(get(server, "/slow")))
    in_flight.start()
    assert held.started.wait(10)
    stopping = threading.Thread(target=server.shutdown)
    stopping.start()

    poll_until(lambda: connection_refused(server), timeout=10)
    assert stopping.is_alive(), "shutdown waits for the request in flight"
    assert server.in_flight() == 1

    held.release.set()
    stopping.join(30)
    in_flight.join(30)

    assert not stopping.is_alive()
    assert answers == [(200, BODY)], "the request in flight got its whole answer"


def test_idle_keep_alive_connections_do_not_hold_the_stop(server: HttpServer) -> None:
    idle = http.client.HTTPConnection(*server.server_address, timeout=30)
    idle.request("GET", "/fast")
    assert idle.getresponse().read() == b"fast"  # the connection stays open (HTTP/1.1 keep-alive)

    stopping = threading.Thread(target=server.shutdown)
    stopping.start()
    stopping.join(30)

    assert not stopping.is_alive()
    idle.close()


def test_a_stop_asked_before_serving_returns_at_once(held: HeldApp) -> None:
    built = make_http_server(held, "127.0.0.1", 0)
    built.request_stop()

    built.serve_forever()

    assert connection_refused(built)


def test_stopping_from_another_thread_never_races_the_serving_thread(held: HeldApp) -> None:
    """shutdown() wakes the event loop through waitress's trigger (a pipe) while the serving thread, told to
    stop, closes that pipe: 500 start/stop cycles with the thread switch made as eager as CPython allows."""
    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        for cycle in range(500):
            built = HttpServer(held, "127.0.0.1", 0, threads=1, poll_seconds=0.0001)
            failures: list[BaseException] = []
            thread = threading.Thread(target=_serve_recording(built, failures))
            thread.start()
            if cycle % 2:
                built.request_stop()  # the serving thread may now be closing while shutdown() wakes it
            built.shutdown()
            built.server_close()
            thread.join(5)
            assert not thread.is_alive(), f"cycle {cycle}: serve_forever did not return"
            assert not failures, f"cycle {cycle}: {failures[0]!r}"
    finally:
        sys.setswitchinterval(previous)


def _serve_recording(server: HttpServer, failures: list[BaseException]) -> Callable[[], None]:
    def serve() -> None:
        try:
            server.serve_forever()
        except BaseException as error:
            failures.append(error)

    return serve


def test_a_wake_up_after_the_server_closed_touches_nothing(held: HeldApp) -> None:
    """waitress's worker threads and shutdown() wake the loop through a pipe the serving thread closes: a late
    wake-up must neither fail (EBADF) nor write into a file that has since reused the pipe's descriptor."""
    built = make_http_server(held, "127.0.0.1", 0)
    built.request_stop()
    built.serve_forever()  # returns closed
    reader, writer = os.pipe()  # the lowest free descriptors: very likely the trigger's old ones
    try:
        built._server.pull_trigger()  # what a worker thread finishing late does
        built.shutdown()
        os.set_blocking(reader, False)
        with pytest.raises(BlockingIOError):
            os.read(reader, 1)
    finally:
        os.close(reader)
        os.close(writer)
