{#- IND-13 per rule for the league (spec workspace.md): of the warning episodes each
    rule raised up to as_of, how many officials checked, how many they found 不属实
    (dismissed) and the dismissed share: the officials' own measure of each rule's
    precision, on which the rules are tuned. One row per rule of rule_catalog, zeros
    for a rule nobody has answered yet. -#}

with answered as (
    select
        rule_id,
        count(*) as warnings_raised,
        count(*) filter (where has_feedback) as warnings_verified,
        count(*) filter (where is_dismissed) as warnings_dismissed,
        count(*) filter (where is_handled) as warnings_handled
    from {{ ref('int_feedback_episode_outcomes') }}
    group by rule_id
)

select
    cast(catalog.rule_id as varchar) as rule_id,
    cast(catalog.rule_name_zh as varchar) as rule_name_zh,
    cast(catalog.category as varchar) as category,
    cast(coalesce(answered.warnings_raised, 0) as bigint) as warnings_raised,
    cast(coalesce(answered.warnings_verified, 0) as bigint) as warnings_verified,
    cast(coalesce(answered.warnings_dismissed, 0) as bigint) as warnings_dismissed,
    cast(coalesce(answered.warnings_handled, 0) as bigint) as warnings_handled,
    cast(answered.warnings_dismissed / nullif(answered.warnings_verified, 0) as double) as dismissed_share
from {{ ref('rule_catalog') }} as catalog
left join answered on answered.rule_id = catalog.rule_id
