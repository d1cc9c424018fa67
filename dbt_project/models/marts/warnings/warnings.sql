{#- marts.warnings: the warnings of this run plus those resolved since the latest
    earlier run, with names and advice from rule_catalog and their lifecycle
    (rules.md "Output contract"; episodes come from warning_episodes, the one place
    the lifecycle is computed, which IND-07 reads too):
    - `new`: seen now and never in any earlier run;
    - `open`: seen now and in an earlier run too: the episode goes on, or the
      warning is back after being resolved (a recurrence: a new episode starts,
      first_seen_on is this run, times_seen_before counts the earlier episodes);
    - `resolved`: seen in the latest earlier run, not now (shown in this one run
      only, with that run's severity and evidence);
    - with officials' feedback a warning raised now is `verified`, `handled` or
      `dismissed` instead (marts.warning_status, spec workspace.md; issue 16);
    - first_seen_on: first as_of of the current (for resolved: the last) episode;
      last_seen_on: latest as_of it was seen (this as_of unless resolved);
      days_open: last_seen_on - first_seen_on for a resolved warning,
      as_of - first_seen_on otherwise. -#}

with current_run as (
    select * from {{ ref('warnings_this_run') }}
),

latest_earlier_run as (
    select max(as_of) as as_of
    from (
        select as_of from {{ ref('warning_runs') }} where as_of < {{ as_of() }}
        union
        select as_of from {{ ref('warning_history') }} where as_of < {{ as_of() }}
    )
),

still_seen as (
    select
        current_run.*,
        case when episodes.is_first_sighting then 'new' else 'open' end as status,
        episodes.first_seen_on,
        current_run.as_of as last_seen_on,
        episodes.times_seen_before
    from current_run
    inner join {{ ref('warning_episodes') }} as episodes
        on current_run.warning_key = episodes.warning_key
        and episodes.as_of = {{ as_of() }}
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
        earlier_history.as_of as last_seen_on,
        episodes.times_seen_before
    from {{ ref('warning_history') }} as earlier_history
    inner join latest_earlier_run on earlier_history.as_of = latest_earlier_run.as_of
    inner join {{ ref('warning_episodes') }} as episodes
        on earlier_history.warning_key = episodes.warning_key
        and episodes.as_of = earlier_history.as_of
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
    cast(coalesce(feedback.status, w.status) as varchar) as status,
    cast(w.first_seen_on as date) as first_seen_on,
    cast(w.last_seen_on as date) as last_seen_on,
    cast({{ dbt.datediff('w.first_seen_on', 'w.last_seen_on', 'day') }} as integer) as days_open,
    cast(w.times_seen_before as integer) as times_seen_before
from with_lifecycle as w
left join {{ ref('rule_catalog') }} as catalog on w.rule_id = catalog.rule_id
left join {{ ref('warning_status') }} as feedback
    on feedback.warning_key = w.warning_key
    and w.status <> 'resolved'
