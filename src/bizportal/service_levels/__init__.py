"""Service levels: the Thai working-day calendar and the clock of each application.

The citizen manual promises a processing time in working days (the service level, SLA)
and each stage of the process its own share (the operational level, OLA). This app
counts them on one calendar (weekends, Thai public and government holidays, days the
cabinet announces) and keeps one clock per application that every page shows.
"""
