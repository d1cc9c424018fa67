{#- ELG-12 特困成年有劳动能力 (§5): a covered tekun member aged at least
    `adult_age` and under `elderly_age` whose labour capacity is full or partial
    (not `none`; unknown is not flagged), who is not enrolled in primary, junior,
    senior or vocational schooling. -#}
{{ config(tags=['warning_rule']) }}

with schooling as (
    select id_number
    from {{ ref('stg_edu_students') }}
    where status = 'enrolled'
      and stage in ('primary', 'junior', 'senior', 'vocational')
),

working_age_tekun as (
    select *
    from {{ ref('wrn_helper_assisted_members') }}
    where assistance_type = 'tekun'
      and covered
      and labor_capacity in ('full', 'partial')
      and age >= {{ rule_param('adult_age') }}
      and age < {{ rule_param('elderly_age') }}
      and id_number not in (select id_number from schooling where id_number is not null)
),

one_per_person as (
    select
        *,
        row_number() over (partition by id_number order by household_id) as person_rank
    from working_age_tekun
)

select
    'ELG-12' as rule_id,
    'person' as subject_type,
    id_number as subject_key,
    id_number,
    household_id,
    region_code,
    'medium' as severity,
    cast(json_object(
        'birth_date', birth_date,
        'age', age,
        'adult_age', cast({{ rule_param('adult_age') }} as integer),
        'elderly_age', cast({{ rule_param('elderly_age') }} as integer),
        'labor_capacity', labor_capacity
    ) as varchar) as evidence
from one_per_person
where person_rank = 1
