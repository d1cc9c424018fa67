{#- The warnings the rules raise for this as_of, before lifecycle: the union of
    every rule model, each row keyed by `warning_key`, a stable hash of rule_id and
    subject_key salted with the warehouse's secret (warning_key_salt), so the same
    problem keeps its key from one run to the next and no key can be reversed; written
    in the letters a-p only, so it never looks like part of an ID number.

    To add a rule: append its model name to `rule_models` below (keep one name per
    line). Every rule model returns exactly the columns of design.md: rule_id,
    subject_type, subject_key, id_number, household_id, region_code, severity,
    evidence (JSON text). -#}
{%- set rule_models = [
    'wrn_rev_01',
    'wrn_rev_02',
    'wrn_rev_03',
    'wrn_rev_04',
    'wrn_rev_05',
    'wrn_rev_06',
    'wrn_rev_07',
    'wrn_rev_08',
    'wrn_rev_09',
    'wrn_rev_10',
    'wrn_elg_01',
    'wrn_elg_02',
    'wrn_elg_03',
    'wrn_elg_04',
    'wrn_elg_05',
    'wrn_elg_06',
    'wrn_elg_07',
    'wrn_elg_08',
    'wrn_elg_09',
    'wrn_elg_10',
    'wrn_elg_11',
    'wrn_elg_12',
    'wrn_hrd_01',
    'wrn_hrd_02',
    'wrn_hrd_03',
    'wrn_hrd_04',
    'wrn_hrd_05',
    'wrn_hrd_06',
    'wrn_hrd_07',
    'wrn_hrd_08',
    'wrn_hrd_09',
    'wrn_hrd_10',
    'wrn_cov_01',
    'wrn_cov_02',
    'wrn_cov_03',
    'wrn_cov_04',
    'wrn_cov_05',
    'wrn_std_01',
    'wrn_std_02',
] -%}

{{ config(schema='intermediate', materialized='table') }}

with rule_rows as (
    {% for rule_model in rule_models %}
    select
        cast(rule_id as varchar) as rule_id,
        cast(subject_type as varchar) as subject_type,
        cast(subject_key as varchar) as subject_key,
        cast(id_number as varchar) as id_number,
        cast(household_id as varchar) as household_id,
        cast(region_code as varchar) as region_code,
        cast(severity as varchar) as severity,
        cast(evidence as varchar) as evidence
    from {{ ref(rule_model) }}
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
)

select
    -- hex digits spelled as letters (0-9 -> g-p): a 32-character key with no run of digits,
    -- so no scan for 15- or 18-digit ID numbers ever mistakes a key for one
    translate(
        md5((select salt from {{ ref('warning_key_salt') }}) || '|' || rule_id || '|' || subject_key),
        '0123456789', 'ghijklmnop'
    ) as warning_key,
    {{ as_of() }} as as_of,
    rule_id,
    subject_type,
    subject_key,
    id_number,
    household_id,
    region_code,
    severity,
    evidence
from rule_rows
