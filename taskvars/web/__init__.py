"""HTTP around the handlers: the request pipeline, the body validators, error rendering.

The pipeline a request goes through, outermost first, as ``taskvars.app.pipeline``
declares it (connexion's own stages in brackets):

1. [connexion: server errors] then :mod:`.request_observation` — the request id, and,
   once answered, one line in the request log (:mod:`.request_log`) and the metrics
   (:mod:`taskvars.metrics`); [connexion: the exception middleware] every error raised
   below leaves as Camunda's error JSON (:mod:`.error_rendering`);
2. :mod:`.basic_auth` — only with ``--auth-file``: credentials before anything else;
   :mod:`.spec_document` — ``openapi.json`` and ``openapi.yaml``, the spec as written;
   :mod:`.docs_redirect` — ``/`` and ``/engine-rest/`` lead to the documentation;
   [connexion: Swagger UI at ``/engine-rest/docs/``];
3. :mod:`.client_timeout` — a stalled body is a 408, a client that stops reading is let go;
4. :mod:`.nul_characters` — U+0000 in the query string is a 400;
5. :mod:`.dot_segments` — ``.`` and ``..`` path segments are a 404;
   :mod:`.named_engine` — ``/engine/default/...`` is served as the plain path;
6. :mod:`.body_limit` — a body over ``--max-upload-bytes`` is a 413;
   :mod:`.fast_path` — binary variable uploads and downloads and single-variable reads,
   routed, validated and answered by code compiled from the spec, which does what 7-10
   do for them by the same functions; anything else goes on (off with ``--no-fast-path``);
7. [connexion: routing] from here on the operation is known; [security: none declared];
8. :mod:`.operation_errors` — errors get their operation's prefix, and a write that lost
   a race becomes a 409 ``OptimisticLockingException``;
   :mod:`.unknown_parameters` — query parameters the operation does not declare are
   dropped (unless ``--strict-params``);
9. [connexion: request validation] parameters against the spec; the body through
   :mod:`.json_validator` or :mod:`.multipart_validator` (streaming, :mod:`.multipart`
   and :mod:`.spool`), which answer a violation with the error the spec declares for it
   (:mod:`.declared_errors`);
10. [connexion: response validation (in tests), context] and the handler.

Below the pipeline, uvicorn answers what is not HTTP at all with
:class:`.framework.CamundaErrorHttpProtocol`. Every reliance on connexion's, Starlette's
or uvicorn's internals is in :mod:`.framework`.
"""
