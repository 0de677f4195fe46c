#!/usr/bin/env python3
"""A local stand-in for the Hugging Face hub, to measure and try `passeur fetch` without a network.

    scripts/fake-hub.py FOLDER [--port 8765] [--repo Test/model] [--stall]

Serves the files of FOLDER as the repo REPO at every revision, as the hub does: `HEAD
/{repo}/resolve/{revision}/{file}` answers the commit (X-Repo-Commit), the git blob id (ETag) and
the size of a small file, or, for a file over 10 MB (as Git LFS stores weights), a 302 to
`/lfs/{file}` with its SHA-256 (X-Linked-Etag) and size (X-Linked-Size); `GET` serves the bytes,
honouring `Range: bytes=N-`. With --stall, it accepts connections and never answers (a hub that
hangs). Then:

    HF_ENDPOINT=http://127.0.0.1:8765 HF_HUB_CACHE=/tmp/cache passeur fetch Test/model

Listens on 127.0.0.1 only.
"""
import argparse
import hashlib
import http.server
import os
import socket
import time

COMMIT = "1234567890abcdef1234567890abcdef12345678"
LFS_THRESHOLD = 10 * 1024 * 1024


def digests(folder):
    table = {}
    for name in sorted(os.listdir(folder)):
        path = os.path.join(folder, name)
        if not os.path.isfile(path):
            continue
        size = os.path.getsize(path)
        if size > LFS_THRESHOLD:
            sha = hashlib.sha256()
            with open(path, "rb") as f:
                for chunk in iter(lambda: f.read(1 << 20), b""):
                    sha.update(chunk)
            table[name] = ("lfs", sha.hexdigest(), size)
        else:
            with open(path, "rb") as f:
                data = f.read()
            blob = hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()
            table[name] = ("git", blob, size)
    return table


def handler(folder, repo, table):
    class Hub(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def file_for(self):
            prefix = "/" + repo + "/resolve/"
            if self.path.startswith(prefix):
                name = self.path[len(prefix):].split("/", 1)[-1]
                return name, False
            if self.path.startswith("/lfs/"):
                return self.path[len("/lfs/"):], True
            return None, False

        def do_HEAD(self):
            self.answer(head=True)

        def do_GET(self):
            self.answer(head=False)

        def answer(self, head):
            name, from_lfs = self.file_for()
            if name not in table:
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.send_header("X-Error-Code", "EntryNotFound")
                self.end_headers()
                return
            kind, digest, size = table[name]
            if kind == "lfs" and not from_lfs:
                self.send_response(302)
                # Absolute, as the hub's redirects to its storage are.
                host = self.headers.get("Host", "127.0.0.1")
                self.send_header("Location", "http://%s/lfs/%s" % (host, name))
                self.send_header("X-Linked-Etag", '"%s"' % digest)
                self.send_header("X-Linked-Size", str(size))
                self.send_header("X-Repo-Commit", COMMIT)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            start = 0
            ranged = self.headers.get("Range", "")
            if ranged.startswith("bytes=") and ranged[6:].split("-")[0].isdigit():
                start = min(int(ranged[6:].split("-")[0]), size)
            self.send_response(206 if start else 200)
            if start:
                self.send_header("Content-Range", "bytes %d-%d/%d" % (start, size - 1, size))
            self.send_header("Content-Length", str(size - start))
            self.send_header("X-Repo-Commit", COMMIT)
            # The git blob id, or the SHA-256 for LFS files (some clients, such as Python's
            # huggingface_hub, follow a redirect that stays on the same host and read it here).
            self.send_header("ETag", '"%s"' % digest)
            self.end_headers()
            if head:
                return
            with open(os.path.join(folder, name), "rb") as f:
                f.seek(start)
                for chunk in iter(lambda: f.read(1 << 20), b""):
                    self.wfile.write(chunk)

    return Hub


def stall(port):
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", port))
    listener.listen(16)
    held = []
    print("stalling on http://127.0.0.1:%d" % port, flush=True)
    while True:
        connection, _ = listener.accept()
        held.append(connection)
        time.sleep(0.01)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--repo", default="Test/model")
    parser.add_argument("--stall", action="store_true")
    args = parser.parse_args()
    if args.stall:
        stall(args.port)
    table = digests(args.folder)
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", args.port), handler(args.folder, args.repo, table)
    )
    print("serving %s as %s on http://127.0.0.1:%d" % (args.folder, args.repo, args.port), flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
