#!/usr/bin/env python3
"""Sample Tessera client: generate textures through tesserad and watch previews.

Written from protocol/PROTOCOL.md alone, with pyzmq and the standard library:

    python client.py hello                                # what the daemon runs
    python client.py generate --prompt "mossy cobblestone" -o tile.png
    python client.py generate --kind backdrop --prompt "stormy sky" -o sky.png
    python client.py demo                                 # a tile and a backdrop at once,
                                                          # with previews, via one DEALER
    python client.py watch --topic samples/               # print (and save) previews

Every wait polls with a timeout (--timeout, default 60 s): a client must never hang
on a reply that will not come (PROTOCOL.md §14, "lazy pirate").
"""

import argparse
import json
import os
import struct
import sys
import time
import zlib

import zmq

SIGNATURE = b"TESS\x01"  # "TESS" + protocol major version 1 (PROTOCOL.md §4.2)
MAX_SAFE_INTEGER = 2**53  # larger seeds travel as decimal strings (§4.3)


# ---------------------------------------------------------------- frames (§4)

def build_request(header):
    """A request message: [signature][JSON header]. Version 1 requests have no payload."""
    if "seed" in header and isinstance(header["seed"], int) and header["seed"] > MAX_SAFE_INTEGER:
        header = dict(header, seed=str(header["seed"]))
    return [SIGNATURE, json.dumps(header, separators=(",", ":")).encode("utf-8")]


class BrokenReply(Exception):
    """A reply that does not follow the protocol."""


def parse_message(frames):
    """Splits [signature][header][payload...] into (header dict, payload frames)."""
    if len(frames) < 2:
        raise BrokenReply("expected at least 2 frames, got %d" % len(frames))
    if len(frames[0]) != 5 or frames[0][:4] != b"TESS":
        raise BrokenReply("bad signature frame %r" % frames[0][:8])
    if frames[0][4] != 1:
        raise BrokenReply("unsupported protocol version %d" % frames[0][4])
    header = json.loads(frames[1].decode("utf-8"))
    if not isinstance(header, dict):
        raise BrokenReply("header is not a JSON object")
    return header, frames[2:]


def check_payload(header, payload):
    """A result's payload frames must match image.mips one to one (§7.4)."""
    mips = header.get("image", {}).get("mips", [])
    if len(mips) != len(payload):
        raise BrokenReply("%d payload frames for %d mip levels" % (len(payload), len(mips)))
    for level, frame in zip(mips, payload):
        if level["bytes"] != len(frame):
            raise BrokenReply("level %d: %d bytes, header says %d" % (level["level"], len(frame), level["bytes"]))


# ------------------------------------------------------------------ images

def png_from_rgba8(width, height, pixels):
    """A minimal PNG encoder (8-bit RGBA, no filtering), so rgba8 frames can be viewed."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    stride = width * 4
    rows = b"".join(b"\x00" + pixels[y * stride:(y + 1) * stride] for y in range(height))
    return (b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows, 6))
            + chunk(b"IEND", b""))


def save_image(header, payload, path):
    """Writes a result's level 0 as a PNG file (PNG payloads as they are)."""
    image = header["image"]
    data = payload[0]
    if image["format"] == "rgba8":
        data = png_from_rgba8(image["width"], image["height"], data)
    with open(path, "wb") as f:
        f.write(data)


# ----------------------------------------------------------------- control

class Client:
    """One DEALER socket: many requests in flight, replies matched by id (§3.1)."""

    def __init__(self, endpoint, timeout):
        self.context = zmq.Context.instance()
        self.socket = self.context.socket(zmq.DEALER)
        self.socket.setsockopt(zmq.LINGER, 0)
        self.socket.connect(endpoint)
        self.endpoint = endpoint
        self.timeout = timeout
        self.counter = 0

    def close(self):
        self.socket.close(linger=0)

    def next_id(self, prefix):
        self.counter += 1
        return "%s-%d-%d" % (prefix, os.getpid(), self.counter)

    def send(self, header):
        self.socket.send_multipart(build_request(header))
        return header.get("id")

    def wait(self, ids):
        """Yields (id, header, payload) for each id as its reply arrives, in arrival order.

        Raises TimeoutError if not all replies arrive within the timeout.
        """
        pending = set(ids)
        deadline = time.monotonic() + self.timeout
        poller = zmq.Poller()
        poller.register(self.socket, zmq.POLLIN)
        while pending:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("no reply from %s within %g s for %s (is tesserad running?)"
                                   % (self.endpoint, self.timeout, ", ".join(sorted(pending))))
            if not dict(poller.poll(remaining * 1000)):
                continue
            header, payload = parse_message(self.socket.recv_multipart())
            rid = header.get("id")
            if rid is None and len(pending) == 1:  # an error for an unreadable request
                rid = next(iter(pending))
            if rid not in pending:
                print("ignoring reply to unknown id %r" % rid, file=sys.stderr)
                continue
            pending.discard(rid)
            if header.get("status") == "ok" and header.get("type") == "generate":
                check_payload(header, payload)
            yield rid, header, payload

    def call(self, header):
        rid = self.send(header)
        for _, reply, payload in self.wait([rid]):
            return reply, payload


def describe_result(header):
    d, t, image = header["delivered"], header["timings"], header["image"]
    quality = "degraded (%s)" % d.get("reason", "?") if d["degraded"] else "full"
    if d.get("late"):
        quality += ", late"
    return ("%s: %dx%d %s, model %s, seed %s, %d steps, %s, cache %s, total %.1f ms"
            % (header["id"], image["width"], image["height"], image["format"], d["model"],
               d["seed"], d["steps"], quality, d["cache"], t.get("total_ms", 0)))


def report_error(header):
    print("%s: %s" % (header.get("code"), header.get("message")), file=sys.stderr)


def generate_header(client, args, kind, prompt):
    header = {"type": "generate", "id": client.next_id(kind), "kind": kind, "prompt": prompt,
              "format": {"type": "png"}}
    for name, value in (("seed", args.seed), ("width", args.width), ("height", args.height),
                        ("steps", args.steps), ("deadline_ms", args.deadline_ms), ("model", args.model)):
        if value is not None:
            header[name] = value
    if args.preview_topic:
        header["preview"] = {"topic": "%s%s" % (args.preview_topic, header["id"])}
    return header


# ---------------------------------------------------------------- commands

def cmd_hello(args):
    client = Client(args.endpoint, args.timeout)
    try:
        reply, _ = client.call({"type": "hello", "id": client.next_id("hello")})
    finally:
        client.close()
    if reply.get("status") != "ok":
        report_error(reply)
        return 1
    print("server %s, protocol %d" % (reply["server"], reply["protocol"]))
    for model in reply.get("models", []):
        print("  model %s %dx%d" % (model["name"], model["native_width"], model["native_height"]))
    print("  formats: %s" % ", ".join(reply.get("formats", [])))
    print("  limits: %s" % json.dumps(reply.get("limits", {}), sort_keys=True))
    return 0


def cmd_generate(args):
    client = Client(args.endpoint, args.timeout)
    try:
        reply, payload = client.call(generate_header(client, args, args.kind, args.prompt))
    finally:
        client.close()
    if reply.get("status") != "ok":
        report_error(reply)
        return 1
    print(describe_result(reply))
    save_image(reply, payload, args.output)
    print("wrote %s" % args.output)
    return 0


def cmd_demo(args):
    """A tile and a backdrop in flight at once on one DEALER, with previews subscribed."""
    client = Client(args.endpoint, args.timeout)
    watcher = None
    if args.stream:
        watcher = client.context.socket(zmq.SUB)
        watcher.setsockopt(zmq.LINGER, 0)
        watcher.setsockopt(zmq.SUBSCRIBE, args.preview_topic.encode())
        watcher.connect(args.stream)
        time.sleep(0.2)  # let the subscription reach the daemon before it publishes
    failures = 0
    try:
        requests = {
            client.send(generate_header(client, args, "tile", args.tile_prompt)): "tile.png",
            client.send(generate_header(client, args, "backdrop", args.backdrop_prompt)): "backdrop.png",
        }
        for rid, reply, payload in client.wait(list(requests)):
            if reply.get("status") != "ok":
                report_error(reply)
                failures += 1
                continue
            print(describe_result(reply))
            path = os.path.join(args.output_dir, requests[rid])
            save_image(reply, payload, path)
            print("wrote %s" % path)
        if watcher is not None:
            previews = 0
            while watcher.poll(100):
                topic, header = drain_preview(watcher)
                if header is not None:
                    previews += 1
                    print("preview [%s] %s step %d/%d" % (topic, header["id"], header["step"], header["steps"]))
            print("%d previews received (best effort: may be 0)" % previews)
    finally:
        client.close()
        if watcher is not None:
            watcher.close(linger=0)
    return 1 if failures else 0


def drain_preview(socket):
    """Receives one stream message: [topic][signature][header][rgba8 level 0] (§8)."""
    frames = socket.recv_multipart()
    try:
        header, payload = parse_message(frames[1:])
    except (BrokenReply, ValueError) as error:
        print("skipping broken stream message: %s" % error, file=sys.stderr)
        return frames[0].decode("utf-8", "replace"), None
    header["_payload"] = payload
    return frames[0].decode("utf-8", "replace"), header


def cmd_watch(args):
    context = zmq.Context.instance()
    socket = context.socket(zmq.SUB)
    socket.setsockopt(zmq.LINGER, 0)
    socket.setsockopt(zmq.SUBSCRIBE, args.topic.encode())
    socket.connect(args.endpoint)
    if args.output_dir:
        os.makedirs(args.output_dir, exist_ok=True)
    received = 0
    try:
        while args.count is None or received < args.count:
            if not socket.poll(args.timeout * 1000):
                print("no preview for %g s; received %d" % (args.timeout, received))
                return 0 if received and args.count is None else 1
            topic, header = drain_preview(socket)
            received += 1
            if header is None:
                continue
            image = header["image"]
            print("[%s] %s step %d/%d%s %dx%d" % (topic, header["id"], header["step"], header["steps"],
                                                  " final" if header.get("final") else "",
                                                  image["width"], image["height"]))
            if args.output_dir and header["_payload"]:
                name = "".join(c if c.isalnum() or c in "-_." else "_"
                               for c in "%s-%s-step%d" % (topic, header["id"], header["step"]))
                path = os.path.join(args.output_dir, name + ".png")
                with open(path, "wb") as f:
                    f.write(png_from_rgba8(image["width"], image["height"], header["_payload"][0]))
                print("  wrote %s" % path)
    finally:
        socket.close(linger=0)
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)

    def control(p):
        p.add_argument("--endpoint", default="tcp://127.0.0.1:5555", help="control endpoint (ROUTER)")
        p.add_argument("--timeout", type=float, default=60, help="seconds to wait for all replies")

    def generation(p):
        p.add_argument("--seed", type=int)
        p.add_argument("--width", type=int)
        p.add_argument("--height", type=int)
        p.add_argument("--steps", type=int)
        p.add_argument("--model")
        p.add_argument("--deadline-ms", type=int, dest="deadline_ms")

    p = sub.add_parser("hello", help="show the daemon's models and limits")
    control(p)
    p.set_defaults(func=cmd_hello)

    p = sub.add_parser("generate", help="generate one image and save it as PNG")
    control(p)
    generation(p)
    p.add_argument("--prompt", required=True)
    p.add_argument("--kind", choices=["tile", "backdrop"], default="tile")
    p.add_argument("--preview-topic", dest="preview_topic", help="publish previews under this topic prefix")
    p.add_argument("-o", "--output", default="tile.png")
    p.set_defaults(func=cmd_generate)

    p = sub.add_parser("demo", help="a tile and a backdrop at once, with previews")
    control(p)
    generation(p)
    p.add_argument("--tile-prompt", default="mossy cobblestone, seamless texture")
    p.add_argument("--backdrop-prompt", default="stormy sky at dusk, panorama")
    p.add_argument("--stream", default="tcp://127.0.0.1:5556", help="stream endpoint (XPUB); '' to skip previews")
    p.add_argument("--preview-topic", dest="preview_topic", default="samples/python/")
    p.add_argument("--output-dir", default=".")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("watch", help="subscribe to previews")
    p.add_argument("--endpoint", default="tcp://127.0.0.1:5556", help="stream endpoint (XPUB)")
    p.add_argument("--topic", default="", help="topic prefix (default: all)")
    p.add_argument("--count", type=int)
    p.add_argument("--timeout", type=float, default=60, help="seconds to wait for the next preview")
    p.add_argument("--output-dir", help="save previews as PNGs here")
    p.set_defaults(func=cmd_watch)

    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except (TimeoutError, BrokenReply) as error:
        print("error: %s" % error, file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
