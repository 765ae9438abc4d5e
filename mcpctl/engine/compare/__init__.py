"""``mcpctl compare``: the contract diff of two servers and their answers to the same suites.

:mod:`.contract` reads what a server declares (protocol revision, serverInfo, capabilities, tools,
resources, resource templates, prompts) and diffs two such contracts, tools through the pin lock's
differ (:mod:`mcpctl.spec.lockfile`); :mod:`.answers` runs a TestSuite against a server with the suite
runner (:mod:`mcpctl.engine.tests`), keeping every answer, and sets two runs side by side.
"""
