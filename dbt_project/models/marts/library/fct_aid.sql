-- The aid resource library (indicators.md, §23): one row per aid event, whoever
-- gave it. Civil-affairs payments, temporary assistance, medical assistance and
-- premium subsidies, education aid, housing aid, disaster relief, public-welfare
-- posts and social forces' charity. Disability subsidies are counted where they
-- are paid (ca_payments programs), not from the certificate flags.
--
-- What a row means (issue 17): `covers` says whether the record is for a whole
-- household (a dibao payment is one row per household, paid to the head) or for
-- the person named, and `persons_covered` how many persons it reaches, so that
-- "persons receiving dibao" agrees with ind_01. Each row carries the region
-- where the aid counts: the household's place on the roll that month, else the
-- region the department recorded, else the person's hukou region. A household
-- record for a household not on the roll that month (temporary aid, housing, disaster
-- relief) covers the persons of the recipient's hukou household.
with payments as (
    select
        id_number,
        household_id,
        coalesce(paid_on, pay_month) as aid_date,
        pay_month as aid_month,
        program as aid_kind,
        'civil_affairs' as provider,
        'civil_affairs' as provider_department,
        cast(null as varchar) as provider_unit,
        cast(null as varchar) as source_region_code,
        amount,
        'ca_payments' as source_feed,
        payment_id as source_key
    from {{ ref('stg_ca_payments') }}
),

temporary as (
    select
        id_number,
        household_id,
        coalesce(approved_on, applied_on) as aid_date,
        {{ month_of('coalesce(approved_on, applied_on)') }} as aid_month,
        'temporary' as aid_kind,
        'civil_affairs' as provider,
        'civil_affairs' as provider_department,
        cast(null as varchar) as provider_unit,
        region_code as source_region_code,
        amount,
        'ca_temp_assistance' as source_feed,
        case_id as source_key
    from {{ ref('stg_ca_temp_assistance') }}
),

medical_assistance as (
    select
        id_number,
        cast(null as varchar) as household_id,
        settled_on as aid_date,
        {{ month_of('settled_on') }} as aid_month,
        'medical_assistance' as aid_kind,
        'medical_security' as provider,
        'medical_security' as provider_department,
        hospital_name as provider_unit,
        cast(null as varchar) as source_region_code,
        medical_assistance_paid as amount,
        'mi_settlements' as source_feed,
        settlement_id as source_key
    from {{ ref('stg_mi_settlements') }}
    where medical_assistance_paid > 0
),

insurance_subsidy as (
    select
        id_number,
        cast(null as varchar) as household_id,
        make_date(cast(year as integer), 1, 1) as aid_date,
        make_date(cast(year as integer), 1, 1) as aid_month,
        'insurance_subsidy' as aid_kind,
        'medical_security' as provider,
        'medical_security' as provider_department,
        cast(null as varchar) as provider_unit,
        cast(null as varchar) as source_region_code,
        subsidy_amount as amount,
        'mi_enrollment' as source_feed,
        id_number || '|' || cast(year as varchar) as source_key
    from {{ ref('stg_mi_enrollment') }}
    where subsidy_amount > 0
),

education as (
    select
        id_number,
        cast(null as varchar) as household_id,
        cast({{ dbt.date_trunc('year', '_extract_date') }} as date) as aid_date,
        cast({{ dbt.date_trunc('year', '_extract_date') }} as date) as aid_month,
        'education' as aid_kind,
        'education' as provider,
        'education' as provider_department,
        school_name as provider_unit,
        cast(null as varchar) as source_region_code,
        aid_amount_this_year as amount,
        'edu_students' as source_feed,
        id_number as source_key
    from {{ ref('stg_edu_students') }}
    where aid_amount_this_year > 0
),

housing as (
    select
        id_number,
        cast(null as varchar) as household_id,
        granted_on as aid_date,
        {{ month_of('granted_on') }} as aid_month,
        'housing' as aid_kind,
        'housing' as provider,
        'housing' as provider_department,
        cast(null as varchar) as provider_unit,
        region_code as source_region_code,
        amount,
        'hc_housing_aid' as source_feed,
        record_id as source_key
    from {{ ref('stg_hc_housing_aid') }}
),

disaster_relief as (
    select
        id_number,
        cast(null as varchar) as household_id,
        occurred_on as aid_date,
        {{ month_of('occurred_on') }} as aid_month,
        'disaster_relief' as aid_kind,
        'emergency_management' as provider,
        'emergency_management' as provider_department,
        event_name as provider_unit,
        region_code as source_region_code,
        relief_amount as amount,
        'em_disaster_victims' as source_feed,
        record_id as source_key
    from {{ ref('stg_em_disaster_victims') }}
    where relief_amount > 0
),

welfare_posts as (
    select
        id_number,
        cast(null as varchar) as household_id,
        status_since as aid_date,
        {{ month_of('status_since') }} as aid_month,
        'public_welfare_post' as aid_kind,
        'hr_social_security' as provider,
        'hr_social_security' as provider_department,
        employer_name as provider_unit,
        cast(null as varchar) as source_region_code,
        cast(null as decimal(14, 2)) as amount,
        'hrss_employment' as source_feed,
        id_number as source_key
    from {{ ref('stg_hrss_employment') }}
    where public_welfare_post
),

charity as (
    select
        id_number,
        cast(null as varchar) as household_id,
        given_on as aid_date,
        {{ month_of('given_on') }} as aid_month,
        'charity' as aid_kind,
        'social_forces' as provider,
        'social_forces' as provider_department,
        org_name as provider_unit,
        cast(null as varchar) as source_region_code,
        value as amount,
        'sf_charity_aid' as source_feed,
        record_id as source_key
    from {{ ref('stg_sf_charity_aid') }}
),

all_aid as (
    select * from payments
    union all select * from temporary
    union all select * from medical_assistance
    union all select * from insurance_subsidy
    union all select * from education
    union all select * from housing
    union all select * from disaster_relief
    union all select * from welfare_posts
    union all select * from charity
),

hukou_sizes as (
    select hukou_no, count(*) as persons
    from {{ ref('dim_person') }}
    where hukou_no is not null
    group by hukou_no
),

placed as (
    select
        all_aid.*,
        coalesce(all_aid.household_id, person_household.household_id) as resolved_household_id
    from all_aid
    left join {{ ref('int_person_household') }} as person_household
        on person_household.id_number = all_aid.id_number
)

select
    placed.source_feed,
    placed.source_key,
    placed.aid_kind,
    cast(kinds.aid_kind_zh as varchar) as aid_kind_zh,
    placed.id_number,
    placed.resolved_household_id as household_id,
    cast(placed.aid_date as date) as aid_date,
    cast(placed.aid_month as date) as aid_month,
    cast(kinds.covers as varchar) as covers,
    cast(
        case
            when kinds.covers = 'person' then 1
            -- as ind_01 counts a household's persons: tekun by its covered members, others by members
            when roll.household_id is not null then
                case when roll.assistance_type = 'tekun' then roll.covered_member_count else roll.member_count end
            -- a household not on the roll that month (e.g. temporary aid): its hukou household
            else hukou_sizes.persons
        end as integer
    ) as persons_covered,
    cast(coalesce(roll.region_code, placed.source_region_code, person.region_code) as varchar)
        as region_code,
    cast({{ banner_of('coalesce(roll.region_code, placed.source_region_code, person.region_code)') }}
        as varchar) as banner_code,
    cast({{ township_of('coalesce(roll.region_code, placed.source_region_code, person.region_code)') }}
        as varchar) as township_code,
    placed.provider,
    cast(providers.provider_zh as varchar) as provider_zh,
    cast(placed.provider_unit as varchar) as provider_unit,
    placed.provider_department,
    cast(placed.amount as decimal(14, 2)) as amount
from placed
left join {{ ref('aid_kinds') }} as kinds on kinds.aid_kind = placed.aid_kind
left join {{ ref('aid_providers') }} as providers on providers.provider = placed.provider
left join {{ ref('int_monthly_roll') }} as roll
    on roll.household_id = placed.resolved_household_id
    and roll.month = placed.aid_month
left join {{ ref('dim_person') }} as person on person.id_number = placed.id_number
left join hukou_sizes on hukou_sizes.hukou_no = person.hukou_no
