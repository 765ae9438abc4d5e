"""Scheduled runs of specs (``kind: Schedule``): cron evaluation per time zone, the scheduler loop on an
injectable clock, runs as ``mcpctl apply`` child processes, Healthchecks-style pings, notifications,
the state of last runs and the lock against two schedulers, and crontab/CronJob export.
"""
