"""A Milvus-compatible server on a loopback port for the Milvus backend's tests: milvus-lite's
own gRPC servicer (the engine ``milvus-lite server`` runs), in a process of its own so a test
can kill it, with one addition: Milvus's token check.

milvus-lite accepts any token. A real Milvus with ``common.security.authorizationEnabled``
reads the ``authorization`` metadata (base64 of ``user:password`` or of an API key) on every
call and answers UNAUTHENTICATED otherwise; ``--token`` does the same here, so a wrong
token meets the refusal a cluster gives.

    python -m tests.milvus_server --data-dir DIR --port PORT [--token TOKEN]
"""

from __future__ import annotations

import argparse
import base64
import signal
import sys
import threading

import grpc


class _TokenCheck(grpc.ServerInterceptor):
    def __init__(self, token: str) -> None:
        self._expected = base64.b64encode(token.encode()).decode()

        def refuse(request, context):
            context.abort(grpc.StatusCode.UNAUTHENTICATED,
                          "auth check failure, please check username and password are correct")

        self._refuse = grpc.unary_unary_rpc_method_handler(refuse)

    def intercept_service(self, continuation, details):
        sent = dict(details.invocation_metadata or ()).get("authorization", "")
        if isinstance(sent, bytes):
            sent = sent.decode()
        return continuation(details) if sent == self._expected else self._refuse


def main(argv=None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--token", default="")
    args = parser.parse_args(argv)

    from concurrent import futures

    from milvus_lite.adapter.grpc.servicer import MilvusServicer
    from milvus_lite.db import MilvusLite
    from pymilvus.grpc_gen import milvus_pb2_grpc

    db = MilvusLite(args.data_dir)
    size = 256 * 1024 * 1024  # milvus-lite's own server's message limit
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=8),
                         interceptors=[_TokenCheck(args.token)] if args.token else [],
                         options=[("grpc.max_receive_message_length", size),
                                  ("grpc.max_send_message_length", size)])
    milvus_pb2_grpc.add_MilvusServiceServicer_to_server(MilvusServicer(db), server)
    if not server.add_insecure_port(f"127.0.0.1:{args.port}"):
        print(f"cannot listen on 127.0.0.1:{args.port}", file=sys.stderr)
        return 1
    server.start()
    print(f"listening on 127.0.0.1:{args.port}", flush=True)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    done.wait()
    server.stop(grace=1)
    db.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
