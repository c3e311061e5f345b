"""The frame protocol between sandbox processes: sizes, deadlines, garbage."""

from __future__ import annotations

import os
import socket
import struct

import pytest

from labs.sandbox import frames


def test_frame_round_trip_with_body():
    left, right = socket.socketpair()
    frames.send(left.fileno(), {"op": "aws", "n": 1}, b"\x00\xffbody")
    assert frames.recv(right.fileno(), timeout=1) == ({"op": "aws", "n": 1}, b"\x00\xffbody")


def test_oversized_frame_is_refused_before_reading_it():
    left, right = socket.socketpair()
    left.sendall(struct.pack(">III", frames.MAGIC, 10, 2**31))
    with pytest.raises(frames.FrameError, match="over the size limit"):
        frames.recv(right.fileno(), timeout=1, max_body=1024)


def test_bad_magic_and_non_object_metadata_are_refused():
    left, right = socket.socketpair()
    left.sendall(struct.pack(">III", 0xDEADBEEF, 2, 0) + b"{}")
    with pytest.raises(frames.FrameError, match="bad frame magic"):
        frames.recv(right.fileno(), timeout=1)
    left, right = socket.socketpair()
    left.sendall(struct.pack(">III", frames.MAGIC, 2, 0) + b"[]")
    with pytest.raises(frames.FrameError, match="not an object"):
        frames.recv(right.fileno(), timeout=1)


def test_partial_frame_times_out():
    left, right = socket.socketpair()
    left.sendall(struct.pack(">III", frames.MAGIC, 100, 0) + b'{"op"')
    with pytest.raises(frames.FrameTimeout):
        frames.recv(right.fileno(), timeout=0.2)


def test_closed_peer_is_a_frame_error():
    left, right = socket.socketpair()
    left.close()
    with pytest.raises(frames.FrameError, match="closed"):
        frames.recv(right.fileno(), timeout=1)


def test_file_descriptors_travel_with_a_frame():
    left, right = socket.socketpair()
    read_fd, write_fd = os.pipe()
    frames.send_fds(left, {"op": "spawn"}, [write_fd], b"xyz")
    meta, body, fds = frames.recv_fds(right, max_fds=2, timeout=1)
    assert (meta, body, len(fds)) == ({"op": "spawn"}, b"xyz", 1)
    os.write(fds[0], b"through the passed fd")
    assert os.read(read_fd, 100) == b"through the passed fd"
