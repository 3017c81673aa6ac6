"""MISP interoperability (issue #13): events <-> STIX 2.1 through ``misp-stix``, feeds, the REST API.

One module per job: ``mapping`` (MISP distribution and tlp: tags <-> Accord's TLP and recipients),
``to_stix`` (a MISP event -> STIX objects ready for the write path), ``to_misp`` (stored STIX ->
a MISP event), ``feed`` (reading and writing the MISP feed format), ``pull`` (a feed's or the REST
API's events into a collection, one event at a time), ``publish`` (a collection, read as an
organization, into a feed), ``rest`` (a MISP server's REST API: ``pull_rest`` through ``pull``'s
path, ``push_rest`` through ``publish``'s read), ``command`` (``accord misp``). User guide:
docs/misp.md.
"""
