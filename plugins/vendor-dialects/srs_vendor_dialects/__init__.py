"""Vendor SIPREC metadata dialects for srs, one module (and entry point) per vendor.

Each module registers its dialect through the ``srs_register_metadata_dialects`` hook.
"""

MODULES = (
    "oracle",
    "genesys",
    "cisco",
    "avaya",
    "broadworks",
    "ribbon",
    "metaswitch",
    "netsapiens",
    "audiocodes",
    "opensips",
    "sems",
)
