"""MISP interoperability (issue #13): events <-> STIX 2.1 through ``misp-stix``, MISP feeds.

One module per job: ``mapping`` (MISP distribution and tlp: tags <-> Accord's TLP and recipients),
``to_stix`` (a MISP event -> STIX objects ready for the write path), ``to_misp`` (stored STIX ->
a MISP event), ``feed`` (reading and writing the MISP feed format), ``pull`` (a feed into a
collection, one event at a time), ``publish`` (a collection, read as an organization, into a feed),
``command`` (``accord misp``). User guide: docs/misp.md.
"""
