"""What mcpctl measures while it runs: latency histograms and per-second time series.

``histogram`` wraps HdrHistogram (the one module importing ``hdrh``): latencies in constant memory at a
fixed relative precision, merged by adding counts (shards, worker processes), never by averaging
percentiles. ``timeseries`` keeps counts by outcome and a small histogram per second of a run in a bounded
number of buckets. Both are plain synchronous objects: the load engine records into them, the store and the
reports read their summaries and encoded forms.
"""
