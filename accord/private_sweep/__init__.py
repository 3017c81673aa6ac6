"""Private sweep: a partner checks its logs against indicators it may not read (issue #14).

The holder publishes, per partner, tags of the OPRF outputs of its protected indicators' canonical
values; the partner learns the outputs of its own log values only through blinded evaluations the
holder counts against a daily quota. See docs/private-sweep.md for the protocol and threat model.

Modules: ``oprf`` (RFC 9497 OPRF mode on libsodium), ``tables``/``keys`` (per-peer
keys and quotas), ``protected`` (which values a collection protects), ``published`` (tags and sealed
indicator ids), ``quota`` (daily quota and replay refusal), ``http`` (the endpoint), ``client`` and
``partner`` (the partner's side), ``command`` (``accord sweep --private-from``).
"""
