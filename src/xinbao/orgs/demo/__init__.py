"""The demo county 云溪县, as ``xinbao demo_data`` loads it: its org tree, the demo accounts,
about a year of information items in every workflow state, and what the department made of
them: issues of its four publications, forwardings to the city (whose editor adopts and
publishes some), upper-level adoptions and leaders' instructions.

Idempotent. Units and accounts are looked up by code and username and created only when absent;
existing ones are left exactly as they are (an administrator's later changes survive a re-run).
Items are generated only while the county organization department has received none, and the
publishing side only while it has no publication, so a second run adds nothing. Everything happens
in one transaction.

Items go through the real services (``item_create``, ``transition``, ``item_update``), so their
events, revisions and audit records exist. Afterwards the item, event and revision timestamps are
moved back onto a planned timeline over the past year (demo data only). The publishing side goes
through the publishing services (``issue_create`` … ``issue_publish``, ``item_forward``,
``forwarding_decide``, ``external_adoption_record``, ``instruction_record``) in date order and dates
its rows, and the in-app notices they send, the same way. Audit records keep the time they were
really written: the log is append-only.

The parts: ``loading`` (the one entry point, ``demo_load``, and the report the command prints),
``accounts`` (units and accounts), ``items`` (items planned, performed through the workflow and
backdated), ``publishing`` and ``recognition`` (issues, forwarding, upper-level adoptions and
instructions, with the shared ``adopted`` records), ``clock`` (office hours and working days),
``content`` (the words: data) and ``drafting`` (composing and revising an item's text).
"""
