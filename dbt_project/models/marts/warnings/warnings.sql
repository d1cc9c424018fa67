{#- marts.warnings: the warnings of this run plus those resolved since the latest
    earlier run, with names and advice from rule_catalog and their lifecycle.

    Lifecycle (only runs with as_of before this one count, so replaying an earlier
    day gives that day's answer):
    - a warning is "seen" in a run when its warning_key is in that run's history;
    - an episode is an unbroken series of runs in which it was seen;
    - `open`: seen now and in the latest earlier run (the episode goes on);
    - `new`: seen now but not in the latest earlier run: first time ever, or back
      after it had been resolved (a new episode begins);
    - `resolved`: seen in the latest earlier run, not now (shown in this one run
      only, with that run's severity and evidence);
    - first_seen_on: first as_of of the current (for resolved: the last) episode;
      last_seen_on: latest as_of it was seen (this as_of unless resolved);
      days_open: as_of - first_seen_on. -#}

with current_run as (
    select * from {{ ref('warnings_this_run') }}
),

earlier_history as (
    select *
    from {{ ref('warning_history') }}
    where as_of < {{ as_of() }}
),

runs as (
    select as_of from {{ ref('warning_runs') }} where as_of < {{ as_of() }}
    union
    select distinct as_of from earlier_history
    union
    select {{ as_of() }} as as_of
),

run_sequence as (
    select
        as_of,
        row_number() over (order by as_of) as run_seq
    from runs
),

latest_earlier_run as (
    select max(as_of) as as_of
    from runs
    where as_of < {{ as_of() }}
),

sightings as (
    select warning_key, as_of from earlier_history
    union all
    select warning_key, as_of from current_run
),

sightings_in_sequence as (
    select
        sightings.warning_key,
        sightings.as_of,
        run_sequence.run_seq
        - row_number() over (partition by sightings.warning_key order by run_sequence.run_seq) as episode
    from sightings
    inner join run_sequence on sightings.as_of = run_sequence.as_of
),

episodes as (
    select
        warning_key,
        min(as_of) as first_seen_on,
        max(as_of) as last_seen_on
    from sightings_in_sequence
    group by warning_key, episode
),

still_seen as (
    select
        current_run.*,
        case
            when episodes.first_seen_on < {{ as_of() }} then 'open'
            else 'new'
        end as status,
        episodes.first_seen_on,
        episodes.last_seen_on
    from current_run
    inner join episodes
        on current_run.warning_key = episodes.warning_key
        and episodes.last_seen_on = {{ as_of() }}
),

resolved as (
    select
        earlier_history.warning_key,
        {{ as_of() }} as as_of,
        earlier_history.rule_id,
        earlier_history.subject_type,
        earlier_history.subject_key,
        earlier_history.id_number,
        earlier_history.household_id,
        earlier_history.region_code,
        earlier_history.severity,
        earlier_history.evidence,
        'resolved' as status,
        episodes.first_seen_on,
        episodes.last_seen_on
    from earlier_history
    inner join latest_earlier_run on earlier_history.as_of = latest_earlier_run.as_of
    inner join episodes
        on earlier_history.warning_key = episodes.warning_key
        and episodes.last_seen_on = latest_earlier_run.as_of
    where earlier_history.warning_key not in (select warning_key from current_run)
),

with_lifecycle as (
    select * from still_seen
    union all
    select * from resolved
)

select
    cast(w.warning_key as varchar) as warning_key,
    cast(w.rule_id as varchar) as rule_id,
    cast(catalog.rule_name_zh as varchar) as rule_name_zh,
    cast(catalog.category as varchar) as category,
    cast(w.severity as varchar) as severity,
    cast(catalog.policy_clause as varchar) as policy_clause,
    cast(w.subject_type as varchar) as subject_type,
    cast(w.subject_key as varchar) as subject_key,
    cast(w.id_number as varchar) as id_number,
    cast(w.household_id as varchar) as household_id,
    cast(w.region_code as varchar) as region_code,
    cast({{ banner_of('w.region_code') }} as varchar) as banner_code,
    cast({{ township_of('w.region_code') }} as varchar) as township_code,
    cast(w.evidence as varchar) as evidence,
    cast(catalog.suggested_action_zh as varchar) as suggested_action_zh,
    cast(w.as_of as date) as as_of,
    cast(w.status as varchar) as status,
    cast(w.first_seen_on as date) as first_seen_on,
    cast(w.last_seen_on as date) as last_seen_on,
    cast({{ dbt.datediff('w.first_seen_on', 'w.as_of', 'day') }} as integer) as days_open
from with_lifecycle as w
left join {{ ref('rule_catalog') }} as catalog on w.rule_id = catalog.rule_id
