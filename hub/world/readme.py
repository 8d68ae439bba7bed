"""The text of truth/README.md: what every truth table and column means."""

TEXT = """\
# Ground truth of the synthetic county

Written by `hub world generate` next to `sources/` (what the source systems hold) and
`manifest.json` (size, seed, noise level and rates, reference date, row counts). The
reference "today" is 2026-11-01; every time is Beijing local time without an offset.
People are identified by `person_id` ("P0000001"), phones by E.164, accounts by the card
number (digits only), vehicles by the plate in the hub's normal form ("豫PA1B23").

## persons
One row per person. `person_id`; `name` (simplified characters, the hub's normal form);
`name_pinyin` ("Zhang Xiaoming"); `id_number` (18-character resident ID number, valid
GB 11643 check digit, birth date and sex encoded); `birth_date`; `sex` (M/F, the 17th
digit's parity); `ethnicity` (民族 as the ID card writes it: 汉, 回, 维吾尔, ...);
`region_code` (first six digits); `resident` (lives in Shangshui
County); `town` (null for non-residents); `address` (current); `previous_address`
(the older address some sources still carry).

## phones
`phone` (E.164); `person_id` (who uses it); `registered_person_id` (whose ID card it
was registered with: the user, except the rings' SIMs, bought in someone else's
name); `kind`; `ring_id` (set for a ring's SIMs).

## accounts
`account`; `bank`; `holder_person_id`; `role` (normal, mule or organiser); `ring_id`
and `layer` (for mule cards, the layer 1-6 of the ring's laundering chain); `status`
(frozen if a stop-payment froze money on it, else open).

## vehicles
`plate`; `person_id` (the registered owner); `kind` (regular or new_energy); `model`;
`colour`.

## units
The county's police units: `unit_code` (12 digits), `name`, `kind` (bureau,
criminal_investigation, anti_fraud, economic_crime, narcotics, station), `town`.

## rings
One row per member of a telecom-fraud ring: `ring_id`, `kind` (police_impersonation,
loan, click_farming, investment, ecommerce_service), `kind_cn`, `person_id`, `role`
(organiser, caller or mule: the holder of mule cards), `active_from`, `active_to`,
`struck` (the police broke the ring up at `active_to`).

## ring_cases
`case_no` (case system), `ring_id`, `relation` (victim_report: a telecom-fraud case
filed from a victim's report; mule_case: an aiding case against a mule-card holder),
`report_id` (the fraud centre's `bjbh`, for victim reports).

## ring_accounts
`ring_id`, `account`, `holder_person_id`, `role` (mule or organiser), `layer`.

## money_paths
One row per victim transfer (`path_id` = its `txn_id`): `ring_id`,
`victim_person_id`, `victim_account`, `amount` (yuan), `started_at`, `report_id` and
`case_no` (when the victim reported it), `mule_layers` (2-6: how many layers of mule
cards the money went through), `txn_ids` (every transfer and withdrawal that carried
part of this money, in time order), `end_accounts`, `end_outcomes` (cash_out: withdrawn
in cash; frozen: held by a stop-payment; unknown: left there and never seen to move),
`end_amounts` (this path's money at each end, yuan) and `end_at`. Mules batch money
that arrived within hours (merging paths) and split it over one to three cards of the
next layer, keeping a commission of up to 2%, so the ends add up to a little less than
the amount. A ring switches to a spare card half a day after one is frozen; money that
reaches a frozen card, or waits on it when the freeze comes, ends there as frozen.

## money_path_hops
One row per (path, transfer): `path_id`, `txn_id`, `layer` (of the sending account, 0
for the victim), `from_account`, `to_account` (null for a cash withdrawal), `at`,
`amount` (this path's share of the transfer, yuan). Every hop leaves an account after
the path's money arrived there, and a path never sends on more than it received.

## transfers
Every transfer of the rings' money as it really happened: `txn_id`, `from_account`,
`to_account` (null for cash_out), `amount`, `at`, `kind` (transfer or cash_out),
`ring_id`.

## fraud_targets
People the rings called: `person_id`, `ring_id`, `phone`, `contacted_at`, `warned`
(the fraud centre issued an early warning), `dissuasion_result` (劝阻成功 dissuaded,
劝阻失败 not dissuaded, 无法联系 unreachable, null when not warned), `victim` (went on
to transfer money).

## fugitives
`warrant_no`, `person_id`, `unit_code` (issuing unit; other provinces' bureaus have
codes outside 411623), `province`, `offence`, `issued_at`, `captured_at`.

## fugitive_sightings
A wanted person appearing in a big-data feed while the warrant was active:
`warrant_no`, `person_id`, `feed` (hotel, netcafe, rail, checkpoint), `record_id`
(the feed's own id of that record), `file` (relative path of the daily file),
`seen_at`.

## record_links
One row per source record, for every record of every source: `source` (cases, fraud,
fugitives, bigdata), `stream` (table or feed), `record_id` (the source's own id:
`case_no`, `involved_id`, `change_id`, `unit_code`, `bjbh`, `jylsh`, `yjbh`, `qzbh`,
`zfbh`, `warrant_no`, `person_ref`, `capture_id`, `lsh`, `sjxh`, `ticket_id`, `gcxh`,
`cdr_id`), `file` (relative path of the file holding it), and what it truly refers to:
`person_id`, `phone`, `account`, `vehicle`, and for records about two parties the
other one (`cp_person_id`, `cp_phone`, `cp_account`: the receiving account of a
transfer, the callee of a call, the caller behind the fraud number of a report or
warning), `case_no`, `warrant_no`, `unit_code`. Then how the record differs from the
truth: `noise` (comma list of name_typo, name_trad, name_pinyin, phone_format,
card_format, id_missing, id_bad_check, id_misread, birth_slip, birth_unreadable,
address_conflict, card_stale, plate_format, plate_misread, duplicate; card_stale: the
ID card a feed read shows the person's previous address; birth_unreadable: a birth date
no date can be read from, which the hub leaves out of the person and notes on the
record), `duplicate_of` (the record it repeats), `malformed` and
`malformed_reason` (bad_date:<column> for an unparseable date, empty:<column> for an
empty required field: such rows belong in quarantine).

## Sources, for reference
- `sources/cases/` (case management, English names, times "YYYY-MM-DD HH:MM:SS",
  status 已受理/已立案/已破案/已结案 = accepted/filed/solved/closed): `cases`,
  `involved`, `status_changes`, `units`.
- `sources/fraud/` (anti-fraud centre, pinyin initials, times "YYYYMMDDHHMMSS"):
  `reports`, `transfers`, `warnings`, `dissuasions`, `stop_payments`.
- `sources/fugitives/` (online fugitive list, ISO 8601 times with +08:00, birth dates
  "YYYYMMDD"): `warrants`, `wanted_persons`, `captures`.
- `sources/bigdata/<feed>/<YYYY-MM-DD>.<ext>`, the last 60 days: `hotel` (Parquet),
  `netcafe` (CSV), `rail` (CSV), `checkpoint` (Parquet), `cdr` (CSV).
Every API table has an `updated_at` timestamp (never malformed) for cursors.
"""
