"""The bundled mocks served by `mcpctl mock serve builtin:NAME` over stdio, driven by mcpctl's own
client: every tool answers a realistic call within its outputSchema, unknown ids and scenarios
answer as the real servers do, and a realistic TestSuite passes against each mock."""

from __future__ import annotations

from collections.abc import Mapping

import jsonschema
import pytest
import trio

from mcpctl.engine.results import SuiteResult
from mcpctl.engine.runner import run_suites
from mcpctl.errors import RpcError
from mcpctl.mcp.client import Client, StdioTarget, open_client
from mcpctl.mcp.jsonrpc import JSONValue
from mcpctl.spec.build import load_specs
from testing.paths import PYTHON

NAMES = ["filesystem", "github", "google-drive", "jira", "linear", "notion", "postgres", "slack"]
OCTO = {"owner": "octo-org", "repo": "demo"}
CLOUD = {"cloudId": "3f9c2a71-5d4e-4b8a-9c1f-7e6d5b4a3c21"}
WIKI = "1a2b3c4d-0000-4000-8000-000000000001"
GUIDE = "1a2b3c4d-0000-4000-8000-000000000002"

# One realistic, successful call of every tool of every mock.
CALLS: dict[str, dict[str, dict[str, JSONValue]]] = {
    "github": {
        "get_me": {},
        "search_repositories": {"query": "demo org:octo-org", "perPage": 10},
        "get_file_contents": {**OCTO, "path": "src/app.py", "ref": "main"},
        "list_issues": {**OCTO, "state": "OPEN", "perPage": 20},
        "issue_read": {"method": "get_comments", **OCTO, "issue_number": 1},
        "create_issue": {
            **OCTO,
            "title": "Flaky login test",
            "body": "Fails 1 in 20 runs.",
            "labels": ["bug"],
        },
        "update_issue": {**OCTO, "issue_number": 2, "state": "closed", "state_reason": "completed"},
        "add_issue_comment": {**OCTO, "issue_number": 1, "body": "Fixed by #4."},
        "list_pull_requests": {**OCTO, "state": "all"},
        "pull_request_read": {"method": "get", **OCTO, "pullNumber": 4},
        "create_pull_request": {**OCTO, "title": "Dark mode", "head": "feat/dark-mode", "base": "main"},
        "merge_pull_request": {**OCTO, "pullNumber": 4, "merge_method": "squash"},
    },
    "slack": {
        "slack_list_channels": {"limit": 50},
        "slack_post_message": {"channel_id": "C02ENG", "text": "Release v1.5 is out :tada:"},
        "slack_reply_to_thread": {
            "channel_id": "C02ENG",
            "thread_ts": "1718000000.000100",
            "text": "No errors",
        },
        "slack_add_reaction": {"channel_id": "C02ENG", "timestamp": "1718000000.000100", "reaction": "eyes"},
        "slack_get_channel_history": {"channel_id": "C02ENG", "limit": 5},
        "slack_get_thread_replies": {"channel_id": "C02ENG", "thread_ts": "1718000000.000100"},
        "slack_get_users": {"limit": 100},
        "slack_get_user_profile": {"user_id": "U02BOB"},
    },
    "linear": {
        "list_issues": {"team": "ENG", "assignee": "me", "limit": 10},
        "get_issue": {"id": "ENG-1"},
        "create_issue": {"title": "CSV export times out", "team": "ENG", "priority": 1, "labels": ["Bug"]},
        "update_issue": {"id": "ENG-2", "state": "In Progress", "assignee": "Alice Chen"},
        "list_comments": {"issueId": "ENG-1"},
        "create_comment": {"issueId": "ENG-2", "body": "Okta sandbox is ready."},
        "list_teams": {},
        "list_projects": {"team": "ENG", "state": "planned"},
        "list_issue_statuses": {"team": "Engineering"},
        "list_users": {"query": "alice"},
    },
    "jira": {
        "atlassianUserInfo": {},
        "getAccessibleAtlassianResources": {},
        "getVisibleJiraProjects": {**CLOUD, "searchString": "ops"},
        "getJiraIssue": {**CLOUD, "issueIdOrKey": "PROJ-2"},
        "searchJiraIssuesUsingJql": {
            **CLOUD,
            "jql": 'project = PROJ AND status = "In Progress"',
            "maxResults": 20,
        },
        "createJiraIssue": {**CLOUD, "projectKey": "PROJ", "issueTypeName": "Bug", "summary": "Refunds fail"},
        "editJiraIssue": {**CLOUD, "issueIdOrKey": "PROJ-1", "fields": {"labels": ["payments", "p1"]}},
        "addCommentToJiraIssue": {**CLOUD, "issueIdOrKey": "PROJ-1", "commentBody": "Deployed the fix."},
        "getTransitionsForJiraIssue": {**CLOUD, "issueIdOrKey": "PROJ-2"},
        "transitionJiraIssue": {**CLOUD, "issueIdOrKey": "PROJ-2", "transition": {"id": "21"}},
        "lookupJiraAccountId": {**CLOUD, "searchString": "bob"},
    },
    "notion": {
        "notion-search": {"query": "on-call runbook", "page_size": 5},
        "notion-fetch": {"id": f"https://www.notion.so/acme/Engineering-Wiki-{WIKI.replace('-', '')}"},
        "notion-create-pages": {
            "pages": [{"properties": {"title": "Sprint 12 retro"}, "content": "## Went well\n- shipped SSO"}],
            "parent": {"page_id": WIKI},
        },
        "notion-update-page": {
            "page_id": GUIDE,
            "command": "update_properties",
            "properties": {"title": "Onboarding"},
        },
        "notion-get-comments": {"page_id": GUIDE},
        "notion-create-comment": {"page_id": GUIDE, "text": "Added the VPN step."},
        "notion-get-users": {},
        "notion-get-self": {},
    },
    "google-drive": {
        "gdrive_search": {"query": "name contains 'Q3'"},
        "gdrive_list_folder": {"folderId": "0BPlanningFolder"},
        "gdrive_get_file_metadata": {"fileId": "1PdfVendorContract"},
        "gdrive_read_file": {"fileId": "1DocQ3Planning"},
        "gdrive_create_file": {"name": "Retro.md", "content": "# Retro", "mimeType": "text/markdown"},
        "gdrive_update_file": {"fileId": "1SheetBudget2025", "content": "Item,Q2,Q3\nCloud,12000,14000"},
        "gdrive_share_file": {
            "fileId": "1DocQ3Planning",
            "emailAddress": "bob@acme.example",
            "role": "writer",
        },
        "gdrive_trash_file": {"fileId": "1PdfVendorContract"},
        "gsheets_read": {"spreadsheetId": "1SheetBudget2025", "ranges": ["Sheet1!A1:C1"]},
        "gsheets_update_cell": {"fileId": "1SheetBudget2025", "range": "Sheet1!C2", "value": "14000"},
    },
    "postgres": {
        "query": {"sql": "SELECT * FROM orders WHERE status = 'paid'"},
        "execute": {"sql": "UPDATE orders SET status = 'shipped' WHERE id = 103"},
        "list_schemas": {},
        "list_tables": {"schema": "public"},
        "describe_table": {"table": "events", "schema": "audit"},
        "explain_query": {"sql": "SELECT * FROM users WHERE id = 1", "analyze": True},
    },
    "filesystem": {
        "read_file": {"path": "/projects/src/util.py"},
        "read_multiple_files": {"paths": ["/projects/README.md", "/projects/docs/guide.md"]},
        "write_file": {"path": "/projects/scratch.txt", "content": "temporary"},
        "edit_file": {
            "path": "/projects/notes.txt",
            "edits": [{"oldText": "buy milk", "newText": "buy oat milk"}],
        },
        "create_directory": {"path": "/projects/build"},
        "list_directory": {"path": "/projects/src"},
        "directory_tree": {"path": "/projects"},
        "move_file": {"source": "/projects/notes.txt", "destination": "/projects/docs/notes.txt"},
        "search_files": {"path": "/projects", "pattern": "*.md"},
        "get_file_info": {"path": "/projects/src"},
        "list_allowed_directories": {},
    },
}

# Unknown ids and bad input, answered (isError) with the real server's style of message.
ERRORS: dict[str, list[tuple[str, dict[str, JSONValue], str]]] = {
    "github": [
        (
            "issue_read",
            {"method": "get", **OCTO, "issue_number": 42},
            "failed to get issue: GET https://api.github.com/repos/octo-org/demo/issues/42: 404 Not Found []",
        ),
        (
            "get_file_contents",
            {"owner": "octo-org", "repo": "missing", "path": "README.md"},
            "failed to get file contents: GET https://api.github.com/repos/octo-org/missing/contents/README.md: "
            "404 Not Found []",
        ),
    ],
    "slack": [
        (
            "slack_post_message",
            {"channel_id": "C99NOPE", "text": "hi"},
            '{"ok":false,"error":"channel_not_found"}',
        ),
        (
            "slack_post_message",
            {"channel_id": "C03RANDOM", "text": "hi"},
            '{"ok":false,"error":"not_in_channel"}',
        ),
    ],
    "linear": [
        ("get_issue", {"id": "ENG-404"}, "Entity not found: Issue - Could not find referenced Issue.")
    ],
    "jira": [
        (
            "getJiraIssue",
            {**CLOUD, "issueIdOrKey": "PROJ-404"},
            '{"errorMessages":["Issue does not exist or you do not have permission to see it."],"errors":{}}',
        ),
        (
            "searchJiraIssuesUsingJql",
            {**CLOUD, "jql": "project = NOPE"},
            '{"errorMessages":["The value \'NOPE\' does not exist for the field \'project\'."],"errors":{}}',
        ),
    ],
    "notion": [
        (
            "notion-fetch",
            {"id": "0000dead"},
            '{"object":"error","status":404,"code":"object_not_found","message":"Could not find page with ID: '
            '0000dead. Make sure the relevant pages and databases are shared with your integration."}',
        )
    ],
    "google-drive": [("gdrive_read_file", {"fileId": "1Missing"}, "File not found: 1Missing.")],
    "postgres": [
        ("query", {"sql": "SELECT * FROM customers"}, 'relation "customers" does not exist'),
        ("query", {"sql": "DROP TABLE users"}, "cannot execute DROP in a read-only transaction"),
    ],
    "filesystem": [
        (
            "read_file",
            {"path": "/etc/passwd"},
            "Error: Access denied - path outside allowed directories: /etc/passwd not in /projects",
        ),
        (
            "read_file",
            {"path": "/projects/nope.txt"},
            "Error: ENOENT: no such file or directory, open '/projects/nope.txt'",
        ),
    ],
}

# The scenario each mock offers, switched with mcpctl/setScenario, and a call's answer in it:
# an isError text, or a JSON-RPC error (RpcError) message.
SCENARIO_CALLS: dict[str, tuple[str, str, dict[str, JSONValue], str]] = {
    "github": (
        "rate-limited",
        "get_me",
        {},
        "failed to get user: GET https://api.github.com/user: 403 API rate limit exceeded for user ID 583231. "
        "[rate reset in 41m07s]",
    ),
    "slack": ("rate-limited", "slack_get_users", {}, '{"ok":false,"error":"ratelimited"}'),
    "linear": (
        "outage",
        "list_teams",
        {},
        "tools/call: server error -32603: Linear API request failed: 503 Service Unavailable",
    ),
    "jira": (
        "unauthorized",
        "atlassianUserInfo",
        {},
        'Failed to fetch user info: 401 Unauthorized {"code":401,"message":"Unauthorized; scope does not match"}',
    ),
    "notion": (
        "rate-limited",
        "notion-get-self",
        {},
        '{"object":"error","status":429,"code":"rate_limited","message":"You have been rate limited. '
        'Please try again in a few minutes."}',
    ),
    "google-drive": (
        "storage-full",
        "gdrive_create_file",
        {"name": "a.txt", "content": "a"},
        "The user's Drive storage quota has been exceeded.",
    ),
    "postgres": (
        "down",
        "list_schemas",
        {},
        "tools/call: server error -32603: connect ECONNREFUSED 127.0.0.1:5432",
    ),
    "filesystem": ("todo-written", "read_file", {"path": "/projects/TODO.md"}, ""),
}


def _suite(name: str, tests: str) -> str:
    head = f"apiVersion: mcpctl/v1\nkind: TestSuite\nmetadata: {{name: {name}-mock}}\n"
    return head + f"server: {{mock: 'builtin:{name}'}}\ndefaults: {{timeout: 10s}}\ntests:\n" + tests


# One realistic TestSuite per mock, as a user would write it against the real server.
SUITES = {
    "github": _suite(
        "github",
        """
  - name: lists the issue and pull request tools
    expect: {tools: {include: [issue_read, create_issue, merge_pull_request], uniqueNames: true, schemaValid: true}}
  - name: issue 1 is the open login bug
    call: issue_read
    with: {method: get, owner: octo-org, repo: demo, issue_number: 1}
    expect:
      outputSchema: true
      structuredContent: [{pointer: /state, equals: open}, {pointer: /labels/0, equals: bug}]
  - name: an unknown issue is a 404
    call: issue_read
    with: {method: get, owner: octo-org, repo: demo, issue_number: 99}
    expect:
      isError: true
      text: "failed to get issue: GET https://api.github.com/repos/octo-org/demo/issues/99: 404 Not Found []"
  - name: a new issue gets a comment
    steps:
      - name: create
        call: create_issue
        with: {owner: octo-org, repo: demo, title: Flaky login test, labels: [bug]}
        expect: {outputSchema: true, structuredContent: {pointer: /title, equals: Flaky login test}}
        save: {number: /structuredContent/number}
      - name: comment
        call: add_issue_comment
        with: {owner: octo-org, repo: demo, issue_number: "{{ steps.create.number }}", body: Looking into it}
        expect: {text: {equals: "Commented on #6: Looking into it"}}
  - name: a merged pull request cannot be merged again
    call: merge_pull_request
    with: {owner: octo-org, repo: demo, pullNumber: 5}
    expect: {isError: true, text: {contains: "405 Pull Request is not mergeable"}}
  - name: README reads as a resource
    read: repo://octo-org/demo/contents/README.md
    expect: {mimeType: text/plain, text: {contains: "# demo"}}
  - name: the fix workflow prompt names the issue
    prompt: issue_to_fix_workflow
    with: {owner: octo-org, repo: demo, issue_number: "1"}
    expect: {messages: 2}
""",
    ),
    "slack": _suite(
        "slack",
        """
  - name: the bot sees three channels
    call: slack_list_channels
    expect: {outputSchema: true, structuredContent: {pointer: /channels/1/name, equals: eng}}
  - name: a posted message takes a reaction
    steps:
      - name: post
        call: slack_post_message
        with: {channel_id: C02ENG, text: "Release v1.5 is out"}
        expect: {structuredContent: {pointer: /message/text, equals: "Release v1.5 is out"}}
        save: {ts: /structuredContent/ts}
      - name: react
        call: slack_add_reaction
        with: {channel_id: C02ENG, timestamp: "{{ steps.post.ts }}", reaction: tada}
        expect: {isError: false, structuredContent: {pointer: /ok, equals: true}}
  - name: the deploy thread has a reply
    call: slack_get_thread_replies
    with: {channel_id: C02ENG, thread_ts: "1718000000.000100"}
    expect: {text: {contains: "Any errors in the logs?"}}
  - name: posting where the bot is not a member fails
    call: slack_post_message
    with: {channel_id: C03RANDOM, text: hi}
    expect: {isError: true, text: '{"ok":false,"error":"not_in_channel"}'}
  - name: an unknown user is not found
    call: slack_get_user_profile
    with: {user_id: U404}
    expect: {isError: true, text: {contains: user_not_found}}
  - name: the summary prompt reads the channel
    prompt: summarize_channel
    with: {channel: eng}
    expect: {messages: 1, text: {contains: "#eng"}}
""",
    ),
    "linear": _suite(
        "linear",
        """
  - name: ENG-1 is urgent and in progress
    call: get_issue
    with: {id: ENG-1}
    expect:
      outputSchema: true
      structuredContent: [{pointer: /priority/name, equals: Urgent}, {pointer: /status, equals: In Progress}]
  - name: an unknown issue is not found
    call: get_issue
    with: {id: ENG-999}
    expect: {isError: true, text: "Entity not found: Issue - Could not find referenced Issue."}
  - name: a created issue takes a comment
    steps:
      - name: create
        call: create_issue
        with: {title: Search is slow, team: ENG, priority: 2}
        expect: {structuredContent: [{pointer: /identifier, equals: ENG-4}, {pointer: /priority/name, equals: High}]}
        save: {id: /structuredContent/identifier}
      - name: comment
        call: create_comment
        with: {issueId: "{{ steps.create.id }}", body: Profiling now}
        expect: {text: "Commented on ENG-4: Profiling now"}
  - name: an unknown workflow state is refused
    call: update_issue
    with: {id: ENG-2, state: Doing}
    expect: {isError: true, text: {contains: "Workflow state not found: Doing"}}
  - name: the team has six workflow states
    call: list_issue_statuses
    with: {team: ENG}
    expect: {structuredContent: {pointer: /statuses/5/name, equals: Canceled}}
  - name: an issue reads as Markdown
    read: linear://issue/ENG-2
    expect: {mimeType: text/markdown, text: {contains: "Add SSO login with Okta"}}
""",
    ),
    "jira": _suite(
        "jira",
        """
  - name: find the site, search, then move an issue to Done
    steps:
      - name: site
        call: getAccessibleAtlassianResources
        save: {cloud: /structuredContent/resources/0/id}
      - name: mine
        call: searchJiraIssuesUsingJql
        with: {cloudId: "{{ steps.site.cloud }}", jql: "assignee = currentUser() ORDER BY updated DESC"}
        expect: {outputSchema: true, structuredContent: {pointer: /issues/0/key, equals: PROJ-1}}
        save: {key: /structuredContent/issues/0/key}
      - name: transitions
        call: getTransitionsForJiraIssue
        with: {cloudId: "{{ steps.site.cloud }}", issueIdOrKey: "{{ steps.mine.key }}"}
        expect: {structuredContent: {pointer: /transitions/2/name, equals: Done}}
        save: {done: /structuredContent/transitions/2/id}
      - name: transition
        call: transitionJiraIssue
        with: {cloudId: "{{ steps.site.cloud }}", issueIdOrKey: "{{ steps.mine.key }}", transition: {id: "{{ steps.transitions.done }}"}}
        expect: {text: "PROJ-1 is now Done"}
  - name: a new bug gets the next key
    call: createJiraIssue
    with: {cloudId: acme.atlassian.net, projectKey: PROJ, issueTypeName: Bug, summary: Refund button does nothing}
    expect: {structuredContent: {pointer: /key, matches: "^PROJ-[4-9]$"}}
  - name: an unknown project is refused
    call: createJiraIssue
    with: {cloudId: acme.atlassian.net, projectKey: NOPE, issueTypeName: Bug, summary: x}
    expect: {isError: true, text: {contains: "valid project is required"}}
  - name: a missing issue is a 404
    call: getJiraIssue
    with: {cloudId: acme.atlassian.net, issueIdOrKey: PROJ-77}
    expect: {isError: true, text: {contains: "Issue does not exist"}}
  - name: another site is not accessible
    call: getVisibleJiraProjects
    with: {cloudId: other.atlassian.net}
    expect: {isError: true, text: {contains: "is not accessible with this token"}}
  - name: done issues by JQL
    call: searchJiraIssuesUsingJql
    with: {cloudId: acme.atlassian.net, jql: "project = PROJ AND status = Done"}
    expect: {structuredContent: {pointer: /issues/0/fields/summary, equals: Rotate staging TLS certificates}}
""",
    ),
    "notion": _suite(
        "notion",
        """
  - name: search then fetch the runbook
    steps:
      - name: search
        call: notion-search
        with: {query: runbook}
        expect: {outputSchema: true}
        save: {id: /structuredContent/results/0/id}
      - name: fetch
        call: notion-fetch
        with: {id: "{{ steps.search.id }}"}
        expect: {structuredContent: {pointer: /title, equals: On-call Runbook}, text: {contains: "acknowledge within 5 minutes"}}
  - name: a page is created under the wiki
    call: notion-create-pages
    with:
      pages: [{properties: {title: Q3 offsite}, content: "## Agenda"}]
      parent: {page_id: 1a2b3c4d-0000-4000-8000-000000000001}
    expect: {structuredContent: [{pointer: /created, equals: 1}, {pointer: /pages/0/title, equals: Q3 offsite}]}
  - name: a page that is not shared is not found
    call: notion-fetch
    with: {id: "9999"}
    expect: {isError: true, text: {contains: '"code":"object_not_found"'}}
  - name: the guide has one open comment
    call: notion-get-comments
    with: {page_id: 1a2b3c4d-0000-4000-8000-000000000002}
    expect: {structuredContent: {pointer: /comments/0/author, equals: Bob Ortiz}}
  - name: the bot is mcpctl
    call: notion-get-self
    expect: {text: "mcpctl (bot) in workspace Acme"}
  - name: meeting notes prompt
    prompt: meeting_notes
    with: {topic: Planning, attendees: "Alice Chen, Bob Ortiz"}
    expect: {messages: 1, text: {contains: "Attendees (Alice Chen, Bob Ortiz)"}}
""",
    ),
    "google-drive": _suite(
        "google-drive",
        """
  - name: find the budget and read its first row
    steps:
      - name: find
        call: gdrive_search
        with: {query: budget}
        save: {id: /structuredContent/files/0/id}
      - name: read
        call: gsheets_read
        with: {spreadsheetId: "{{ steps.find.id }}", ranges: ["Sheet1!A1:C1"]}
        expect: {outputSchema: true, structuredContent: {pointer: /valueRanges/0/values/0/2, equals: Q3}}
  - name: the planning doc exports as text
    call: gdrive_read_file
    with: {fileId: 1DocQ3Planning}
    expect: {text: {contains: "Ship SSO with Okta"}}
  - name: the doc is also a resource
    read: gdrive:///1DocQ3Planning
    expect: {mimeType: text/plain, text: {contains: "Q3 Planning"}}
  - name: a missing file is not found
    call: gdrive_get_file_metadata
    with: {fileId: 1Gone}
    expect: {isError: true, text: "File not found: 1Gone."}
  - name: a PDF is read as base64
    call: gdrive_read_file
    with: {fileId: 1PdfVendorContract}
    expect: {structuredContent: {pointer: /encoding, equals: base64}}
  - name: sharing needs an email address
    call: gdrive_share_file
    with: {fileId: 1DocQ3Planning, emailAddress: bob, role: reader}
    expect: {isError: true, text: {contains: "is not a valid email address"}}
""",
    ),
    "postgres": _suite(
        "postgres",
        """
  - name: three users
    call: query
    with: {sql: "SELECT * FROM users"}
    expect: {outputSchema: true, structuredContent: [{pointer: /rowCount, equals: 3}, {pointer: /rows/0/email, equals: alice@acme.example}]}
  - name: four orders
    call: query
    with: {sql: "select count(*) from orders;"}
    expect: {structuredContent: {pointer: /rows/0/count, equals: "4"}}
  - name: query is read-only
    call: query
    with: {sql: "DELETE FROM orders"}
    expect: {isError: true, text: "cannot execute DELETE in a read-only transaction"}
  - name: an unknown table does not exist
    call: query
    with: {sql: "SELECT * FROM invoices"}
    expect: {isError: true, text: 'relation "invoices" does not exist'}
  - name: emails are unique
    call: execute
    with: {sql: "INSERT INTO users (email, name) VALUES ('alice@acme.example', 'Alice')"}
    expect: {isError: true, text: {contains: users_email_key}}
  - name: orders reference users
    call: describe_table
    with: {table: orders}
    expect: {structuredContent: {pointer: /foreignKeys/0/references, equals: users(id)}}
  - name: the public tables
    call: list_tables
    expect: {structuredContent: {pointer: /tables/2/name, equals: users}}
  - name: a table schema resource
    read: postgres://localhost:5432/shop/orders/schema
    expect: {mimeType: application/json, text: {contains: total_cents}}
""",
    ),
    "filesystem": _suite(
        "filesystem",
        """
  - name: the README reads as a tool and as a resource
    steps:
      - name: tool
        call: read_file
        with: {path: /projects/README.md}
        expect: {outputSchema: true, structuredContent: {pointer: /content, matches: "^# Projects"}}
      - name: resource
        read: file:///projects/README.md
        expect: {mimeType: text/markdown, text: {contains: "# Projects"}}
  - name: paths outside the allowed directory are refused
    call: read_file
    with: {path: /etc/shadow}
    expect: {isError: true, text: "Error: Access denied - path outside allowed directories: /etc/shadow not in /projects"}
  - name: python files are found
    call: search_files
    with: {path: /projects, pattern: "*.py"}
    expect: {structuredContent: {pointer: /matches/1, equals: /projects/src/util.py}}
  - name: an edit returns a diff
    call: edit_file
    with: {path: /projects/notes.txt, edits: [{oldText: buy milk, newText: buy oat milk}]}
    expect: {text: {contains: "+buy oat milk"}}
  - name: a written TODO.md is listed and read back
    steps:
      - name: before
        call: list_directory
        with: {path: /projects}
        expect: {text: {notContains: TODO.md}}
      - name: write
        call: write_file
        with: {path: /projects/TODO.md, content: "- [ ] Release v1.5"}
        expect: {text: "Successfully wrote to /projects/TODO.md"}
      - name: after
        call: list_directory
        with: {path: /projects}
        expect: {structuredContent: {pointer: /entries/1/name, equals: TODO.md}}
      - name: read
        call: read_file
        with: {path: /projects/TODO.md}
        expect: {text: {contains: "Release v1.5"}}
  - name: only /projects is allowed
    call: list_allowed_directories
    expect: {structuredContent: {pointer: /directories, equals: [/projects]}}
""",
    ),
}


def _target(name: str) -> StdioTarget:
    return StdioTarget(command=(PYTHON, "-m", "mcpctl", "mock", "serve", f"builtin:{name}"))


async def _check_call(client: Client, tool: Mapping[str, JSONValue], arguments: dict[str, JSONValue]) -> None:
    name = str(tool["name"])
    input_schema, output_schema = tool["inputSchema"], tool["outputSchema"]
    assert isinstance(input_schema, dict)
    assert isinstance(output_schema, dict)
    jsonschema.validate(arguments, input_schema)  # the test's own arguments are realistic ones
    result = await client.call_tool(name, arguments)
    assert not result.is_error, f"{name}: {result.text}"
    assert result.content, name
    jsonschema.validate(result.structured_content, output_schema)


@pytest.mark.parametrize("name", NAMES)
async def test_each_mock_answers_like_the_real_server(name: str) -> None:
    """Every tool within its outputSchema, every resource readable, unknown ids and the scenario
    answered as the real server does (one session: a mock starts in about half a second)."""
    async with open_client(_target(name)) as client:
        tools = {str(tool["name"]): tool for tool in await client.list_tools()}
        assert sorted(tools) == sorted(CALLS[name])
        for tool, arguments in CALLS[name].items():
            await _check_call(client, tools[tool], arguments)
        for resource in await client.list_resources():
            read = await client.read_resource(str(resource["uri"]))
            assert read["contents"], resource["uri"]
        for tool, arguments, message in ERRORS[name]:
            result = await client.call_tool(tool, arguments)
            assert result.is_error, tool
            assert result.text == message
        await _check_scenario(client, *SCENARIO_CALLS[name])


async def _check_scenario(
    client: Client, scenario: str, tool: str, arguments: dict[str, JSONValue], message: str
) -> None:
    assert await client.session.request("mcpctl/setScenario", {"scenario": scenario}) == {
        "scenario": scenario
    }
    if message.startswith("tools/call: "):
        with pytest.raises(RpcError) as caught:
            await client.call_tool(tool, arguments)
        assert str(caught.value) == message
    elif message:
        result = await client.call_tool(tool, arguments)
        assert result.is_error
        assert result.text == message
    else:  # a scenario in which the call succeeds
        assert not (await client.call_tool(tool, arguments)).is_error


async def test_github_templates_and_completions() -> None:
    async with open_client(_target("github")) as client:
        created = await client.call_tool("create_issue", {**OCTO, "title": "Typo in README"})
        assert created.structured_content == {
            "number": 6,
            "title": "Typo in README",
            "state": "open",
            "body": "",
            "labels": [],
            "assignees": [],
            "html_url": "https://github.com/octo-org/demo/issues/6",
        }
        ref = {"type": "ref/resource", "uri": "repo://{owner}/{repo}/contents/{path}"}
        completed = await client.complete(ref, {"name": "path", "value": "RE"})
        assert completed["completion"]["values"] == ["README.md"]
        prompt = await client.get_prompt("issue_to_fix_workflow", {**OCTO, "issue_number": "3"})
        assert (
            prompt["messages"][1]["content"]["text"] == "I will start by reading issue #3 in octo-org/demo."
        )


@pytest.fixture(scope="module")
def suite_results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, SuiteResult]:
    directory = tmp_path_factory.mktemp("suites")
    for name, text in SUITES.items():
        (directory / f"{name}.yaml").write_text(text)
    specs = load_specs([str(directory)])
    run = trio.run(lambda: run_suites(specs.suites, servers=specs.servers, run_id="t", command="test"))
    return {suite.name: suite for suite in run.suites}


@pytest.mark.parametrize("name", NAMES)
def test_a_realistic_suite_passes(suite_results: dict[str, SuiteResult], name: str) -> None:
    suite = suite_results[f"{name}-mock"]
    failures = [
        f"{case.name}: {case.message} {case.details}" for case in suite.cases if case.status != "passed"
    ]
    assert suite.error == ""
    assert failures == []
    assert len(suite.cases) >= 6
