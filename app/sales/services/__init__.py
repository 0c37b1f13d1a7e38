"""Sales rules, one file per concept:

    loans.py      loan arithmetic (等额本息, 等额本金, combined loans): pure, Decimal only
    policies.py   dated policy tables (deed tax, maintenance fund, loan rates, mortgage policy) and
                  which row is in force on a date; today's rules as seed
    plans.py      payment plans with their instalments and fees
    discounts.py  discount policies and how they combine, step by step
    discount_authority.py  who may give how much discount; the discount approval
    trial.py      the price trial (价格试算) of a room with one to three plans
    trial_print.py  the simulated payment plan (模拟付款计划表) as a print kind
"""
