"""A fake Socket Mode endpoint: the WebSocket Slack hands out from apps.connections.open.

It completes the handshake as RFC 6455 says, then says hello (unless told to stay silent), answers pings, and
can drop every connection on demand. Plain ws:// on loopback: slack_sdk's client skips TLS on any port but 443.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import socket
import struct
import threading

from tests.fake_slack import FakeSlack

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
TEXT, CLOSE, PING, PONG = 0x1, 0x8, 0x9, 0xA


class FakeSocketMode:
    def __init__(self, *, hello: bool = True) -> None:
        self.hello = hello
        self.handshakes = 0
        self._connections: list[socket.socket] = []
        self._lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def start(self) -> FakeSocketMode:
        self._thread.start()
        return self

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self._listener.getsockname()[1]}/link/?ticket=fake"

    def serve_through(self, fake: FakeSlack) -> None:
        """The fake Web API hands this endpoint out from apps.connections.open."""
        fake.answers["apps.connections.open"] = {"ok": True, "url": self.url}

    def drop_all(self) -> None:
        """Every open connection is reset, as when Slack's side or the network between goes away."""
        with self._lock:
            connections, self._connections = self._connections, []
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            connection.close()

    def stop(self) -> None:
        self._stopped.set()
        self.drop_all()
        self._thread.join(timeout=5)
        self._listener.close()

    def _accept(self) -> None:
        while not self._stopped.is_set():
            try:
                connection, _address = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._serve, args=(connection,), daemon=True).start()

    def _serve(self, connection: socket.socket) -> None:
        with contextlib.suppress(OSError, ConnectionError):
            request = b""
            while b"\r\n\r\n" not in request:
                chunk = connection.recv(4096)
                if not chunk:
                    return
                request += chunk
            key = next(
                line.split(":", 1)[1].strip()
                for line in request.decode("latin-1").split("\r\n")
                if line.lower().startswith("sec-websocket-key:")
            )
            accept = base64.b64encode(hashlib.sha1((key + GUID).encode()).digest()).decode()
            connection.sendall(
                "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                f"Sec-WebSocket-Accept: {accept}\r\n\r\n".encode()
            )
            with self._lock:
                self.handshakes += 1
                self._connections.append(connection)
            if self.hello:
                hello = {"type": "hello", "num_connections": 1, "connection_info": {"app_id": "AFAKE"}}
                connection.sendall(frame(TEXT, json.dumps(hello).encode()))
            while True:
                opcode, payload = read_frame(connection)
                if opcode == PING:
                    connection.sendall(frame(PONG, payload))
                elif opcode == CLOSE:
                    connection.sendall(frame(CLOSE, payload[:2]))
                    return


def frame(opcode: int, payload: bytes) -> bytes:
    """A server's frame: final, unmasked."""
    size = len(payload)
    if size < 126:
        header = struct.pack("!BB", 0x80 | opcode, size)
    elif size < 1 << 16:
        header = struct.pack("!BBH", 0x80 | opcode, 126, size)
    else:
        header = struct.pack("!BBQ", 0x80 | opcode, 127, size)
    return header + payload


def read_frame(connection: socket.socket) -> tuple[int, bytes]:
    first, second = _exactly(connection, 2)
    size = second & 0x7F
    if size == 126:
        (size,) = struct.unpack("!H", _exactly(connection, 2))
    elif size == 127:
        (size,) = struct.unpack("!Q", _exactly(connection, 8))
    mask = _exactly(connection, 4) if second & 0x80 else b"\0\0\0\0"
    payload = bytes(byte ^ mask[index % 4] for index, byte in enumerate(_exactly(connection, size)))
    return first & 0x0F, payload


def _exactly(connection: socket.socket, count: int) -> bytes:
    data = b""
    while len(data) < count:
        chunk = connection.recv(count - len(data))
        if not chunk:
            raise ConnectionError("closed")
        data += chunk
    return data
