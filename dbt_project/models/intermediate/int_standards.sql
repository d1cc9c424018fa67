-- Every assistance standard the warehouse knows: the ca_standards feed, with the
-- `standards` seed filling in each (region_code, standard) pair the feed lacks
-- entirely (a deployment's own figures replace the defaults pair by pair).
with feed_rows as (
    select
        region_code,
        standard,
        amount,
        effective_from,
        'ca_standards' as origin
    from {{ ref('stg_ca_standards') }}
),

seed_rows as (
    select
        cast(seed.region_code as varchar) as region_code,
        cast(seed.standard as varchar) as standard,
        cast(seed.amount as decimal(14, 2)) as amount,
        cast(seed.effective_from as date) as effective_from,
        'seed' as origin
    from {{ ref('standards') }} as seed
    where not exists (
        select 1
        from feed_rows
        where feed_rows.region_code = seed.region_code
          and feed_rows.standard = seed.standard
    )
)

select * from feed_rows
union all
select * from seed_rows
