"""Seeding what production needs (roles, permissions, lookup lists) and the first admin.
Every function here is safe to re-run."""
import secrets
import string

from flask import current_app

from app.core import personal_data, roles
from app.core.services import lookup
from app.extensions import db

LOOKUP_SEED = {
    "customer_level": ("客户级别", ["A级（重点）", "B级（意向）", "C级（一般）", "D级（观望）"]),
    "region": ("区域", ["华南区域", "华东区域", "华北区域", "西南区域", "华中区域"]),
    "visit_channel": ("来访渠道", ["自然到访", "老带新", "朋友介绍", "户外广告", "网络推广", "电话营销", "中介分销", "全民经纪人"]),
    "gift": ("赠送品", ["车位使用权", "家电礼包", "物业费一年", "装修礼包"]),
    "mortgage_bank": ("按揭银行", ["中国工商银行", "中国建设银行", "中国农业银行", "中国银行", "招商银行", "住房公积金管理中心"]),
    "complaint_type": ("投诉类型", ["服务态度", "工程质量", "交付延期", "合同纠纷", "物业问题", "其他"]),
    "decoration": ("装修标准", ["毛坯", "简装", "精装", "豪华装修"]),
    "rename_reason": ("更名原因", ["夫妻加名", "亲属更名", "离婚析产", "公司更名", "其他"]),
    "cancel_reason": ("退房原因", ["贷款未获批", "客户资金问题", "客户改变主意", "换购其他房源", "其他"]),
    "sales_cost_type": ("销售费用类型", ["广告费", "活动费", "物料费", "渠道佣金", "样板间费用", "其他"]),
    "orientation": ("朝向", ["南", "北", "东", "西", "东南", "西南", "东北", "西北", "南北通透"]),
    "view": ("景观", ["江景", "湖景", "园林景观", "城市景观", "山景", "无特殊景观"]),
    "age_band": ("年龄段", ["25岁以下", "25-34岁", "35-44岁", "45-54岁", "55岁以上"]),
    "occupation": ("职业", ["企业职员", "公务员/事业单位", "私营业主", "专业人士", "自由职业", "退休", "其他"]),
    "family_structure": ("家庭结构", ["单身", "二人世界", "三口之家", "二孩家庭", "三代同堂"]),
    "opportunity_grade": ("商机等级", ["A", "B", "C", "D"]),
    "lost_reason": ("流失原因", ["价格因素", "区位不满意", "户型不满意", "购买竞品", "资金不足", "暂缓购房", "其他"]),
}


def seed_lookups():
    for code, (name, values) in LOOKUP_SEED.items():
        lookup.ensure_list(code, name, values)
    db.session.commit()


_module_seeds = []


def register_seed(seed):
    """A module adds what production needs of it (e.g. default print templates)."""
    if seed not in _module_seeds:
        _module_seeds.append(seed)
    return seed


def seed_all():
    """Everything production needs; what `flask loupan seed` runs. Safe to re-run."""
    seed_roles()
    seed_lookups()
    for seed in _module_seeds:
        seed()
    db.session.commit()


def seed_roles():
    """Create permissions for every view, the shipped roles and their grants."""
    appbuilder = current_app.appbuilder
    sm = appbuilder.sm
    admin = sm.add_role(roles.ADMIN)
    appbuilder.add_permissions(update_perms=True)
    sm.add_permission_view_menu(personal_data.PERMISSION, personal_data.VIEW_MENU)
    for extra in getattr(roles, "EXTRA_PERMISSIONS", ()):
        sm.add_permission_view_menu(*extra)

    for pv in db.session.query(sm.permissionview_model).all():
        if pv not in admin.permissions:
            admin.permissions.append(pv)

    for role_name in roles.ROLE_NAMES[1:]:
        role = sm.add_role(role_name)
        wanted = dict(roles.ROLE_PERMISSIONS.get(role_name, {}))
        for view, perms in roles.COMMON.items():
            wanted[view] = tuple(perms) + tuple(wanted.get(view, ()))
        wanted.setdefault("UserDBModelView", ())
        wanted["UserDBModelView"] = tuple(wanted["UserDBModelView"]) + (roles.COMMON_USER_VIEW,)
        for name in roles.ROLE_MENUS.get(role_name, []):
            wanted.setdefault(name, ())
            wanted[name] = tuple(wanted[name]) + ("menu_access",)
        for view, perms in wanted.items():
            for perm in perms:
                pv = sm.find_permission_view_menu(perm, view)
                if pv is None:
                    pv = sm.add_permission_view_menu(perm, view)
                if pv not in role.permissions:
                    role.permissions.append(pv)
    db.session.commit()


def random_password():
    alphabet = string.ascii_letters + string.digits
    while True:
        candidate = "".join(secrets.choice(alphabet) for _ in range(14))
        if any(c.isdigit() for c in candidate) and any(c.isalpha() for c in candidate):
            return candidate


def ensure_user(username, first_name, last_name, email, role_names, password):
    """Create a login if missing; returns (user, created)."""
    sm = current_app.appbuilder.sm
    user = sm.find_user(username=username)
    if user is not None:
        return user, False
    user_roles = [sm.find_role(name) for name in role_names]
    user = sm.add_user(username, first_name, last_name, email, user_roles, password)
    if not user:
        raise RuntimeError("could not create user %s" % username)
    return user, True


def ensure_admin(password=None):
    """The first admin; returns the password when it was created now, else None."""
    sm = current_app.appbuilder.sm
    if sm.find_user(username="admin") is not None:
        return None
    password = password or random_password()
    ensure_user("admin", "管理员", "系统", "admin@loupan.local", [roles.ADMIN], password)
    return password
