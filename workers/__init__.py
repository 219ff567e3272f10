"""Background work: the Celery app's entry module and the tasks it runs."""
