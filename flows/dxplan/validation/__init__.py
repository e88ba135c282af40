"""The parts of the Great Expectations gate (``dxplan.validate`` is the entry point):

    suites      the suite files, their severities, outcomes and audit rows
    sql         the SQL of every frame (staged tables, derived columns, cross-table checks)
    frames      the frames read by that SQL for GX, and the evaluation rule as a function
    outcomes    one GX result handed to the load of each failing row; audit rows
    messages    a failed expectation as one readable line
    summary     the offline summary page beside GX's data docs
    gx_import   importing GX without what the suites never use
"""
