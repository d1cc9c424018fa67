{#- The canonical evidence hash (macro evidence_hash: evidence without the rule's
    counters, seed evidence_counters) of every sighting a dismissal needs: each run's
    sightings of the warnings officials have ever found 不属实 (not_confirmed), up to
    as_of. The lifecycle compares the hash now with the hash of the run the official
    looked at. Only those warnings: hashing every sighting of every run would cost
    more and serve nothing. -#}
{{ config(schema='intermediate') }}

with dismissed_keys as (
    select distinct warning_key
    from {{ ref('int_warning_feedback') }}
    where result = 'not_confirmed'
),

counters as (
    select rule_id, list(evidence_key) as counter_keys
    from {{ ref('evidence_counters') }}
    group by rule_id
)

select
    history.as_of,
    history.warning_key,
    history.rule_id,
    {{ evidence_hash('history.evidence', "coalesce(counters.counter_keys, cast([] as varchar[]))") }}
        as evidence_hash
from {{ ref('warning_history') }} as history
inner join dismissed_keys on dismissed_keys.warning_key = history.warning_key
left join counters on counters.rule_id = history.rule_id
where history.as_of <= {{ as_of() }}
