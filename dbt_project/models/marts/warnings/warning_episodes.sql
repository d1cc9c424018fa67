{#- The lifecycle of every warning in every run up to as_of, in one place so that
    marts.warnings and IND-07 cannot disagree (rules.md "Output contract").

    One row per (run as_of, warning_key) seen in warning_history on or before as_of
    (a history row of a later run is ignored: replaying an earlier day gives that
    day's answer). Runs are every as_of in warning_runs or warning_history, also runs
    that raised nothing, so a run without the warning ends its episode.
    - an episode is an unbroken series of runs in which the warning was seen; it
      starts when the warning is seen after a run without it;
    - first_seen_on: the first as_of of the episode this sighting belongs to;
    - times_seen_before: how many earlier episodes the same warning_key had (0 for a
      first occurrence; a warning that comes back is a recurrence, not news);
    - is_first_sighting: never seen in any earlier run (status `new`). -#}
{{ config(schema='intermediate', materialized='table') }}

with runs as (
    select as_of from {{ ref('warning_runs') }} where as_of <= {{ as_of() }}
    union
    select distinct as_of from {{ ref('warning_history') }} where as_of <= {{ as_of() }}
),

run_sequence as (
    select as_of, row_number() over (order by as_of) as run_seq
    from runs
),

sightings as (
    select history.as_of, history.warning_key, run_sequence.run_seq
    from {{ ref('warning_history') }} as history
    inner join run_sequence on history.as_of = run_sequence.as_of
),

grouped as (
    -- consecutive runs keep the same difference: one value per episode
    select
        *,
        run_seq - row_number() over (partition by warning_key order by run_seq) as episode_group
    from sightings
),

episodes as (
    select
        warning_key,
        episode_group,
        min(as_of) as first_seen_on,
        cast(row_number() over (partition by warning_key order by min(as_of)) - 1 as integer)
            as times_seen_before
    from grouped
    group by warning_key, episode_group
)

select
    grouped.as_of,
    grouped.warning_key,
    episodes.first_seen_on,
    episodes.times_seen_before,
    episodes.times_seen_before = 0 and grouped.as_of = episodes.first_seen_on as is_first_sighting
from grouped
inner join episodes
    on grouped.warning_key = episodes.warning_key
    and grouped.episode_group = episodes.episode_group
