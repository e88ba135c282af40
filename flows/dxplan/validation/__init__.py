"""The parts of the Great Expectations gate (``dxplan.validate`` is the entry point):

    suites     the suite files, their severities, outcomes and audit rows
    frames     the base frames read from staging and the derived frames of cross-table rules
    messages   a failed expectation as one readable line
"""
