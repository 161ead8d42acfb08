"""The tamper-evident log, as pure functions: canonical entries (:mod:`.entries`), the Merkle tree of
Certificate Transparency with its proofs (:mod:`.merkle`, RFC 9162) and signed checkpoints
(:mod:`.checkpoints`, the c2sp.org signed-note format with Ed25519), the entry types (:mod:`.events`) and
the names of a log's files beside an export (:mod:`.files`). Bytes in, bytes out: storing the log
is :mod:`concord.service.log.appending`'s job, reading one back is :mod:`concord.verify.replay`'s.

Design and its sources: ``../shared/docs/anchors.md`` §5.2–5.3.
"""
