"""Tokens: issue one for a username and password, list one's own, revoke one's own."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Status

from xinbao.api import queries, services
from xinbao.api.auth import ApiRequest, check_sign_in_rate
from xinbao.api.routes import READ_ERRORS, WRITE_ERRORS, ObjectId
from xinbao.api.schemas import Error, Me, TokenInfo, TokenIssued, TokenRequest

router = Router(tags=["令牌与账号"])


@router.post(
    "/auth/token",
    auth=None,
    response={200: TokenIssued, 400: Error, 401: Error, 403: Error, 422: Error, 429: Error},
    summary="用用户名和密码换取访问令牌",
    description=(
        "用户名或密码错误(或账号已停用)时返回 401,不区分账号是否存在;"
        "已绑定动态口令的账号须同时提交当前动态口令(otp),否则返回 401。"
        "令牌在账号的动态口令设备变更或密码修改后失效,须重新申请。"
        "令牌只在此时完整返回一次,系统只保存其摘要。"
    ),
)
def token_issue(request: HttpRequest, payload: TokenRequest) -> TokenIssued:
    check_sign_in_rate(request, payload.username)
    token, secret = services.token_sign_in(
        request=request,
        username=payload.username,
        password=payload.password,
        name=payload.name,
        otp=payload.otp,
    )
    return TokenIssued.build(token, secret)


@router.get("/auth/tokens", response={200: list[TokenInfo], **READ_ERRORS}, summary="我的令牌")
def token_list(request: ApiRequest) -> list[TokenInfo]:
    return [TokenInfo.build(t) for t in queries.tokens_of(request.user).select_related("user")]


@router.delete(
    "/auth/tokens/{token_id}",
    response={204: None, **WRITE_ERRORS},
    summary="撤销我的一个令牌",
    description="只能撤销自己的令牌;别人的令牌一律答 404。撤销后立即失效。",
)
def token_revoke(request: ApiRequest, token_id: ObjectId) -> Status[None]:
    token = queries.access_token(request.user, token_id)
    services.token_revoke(token=token, actor=request.user)
    return Status(204, None)


@router.get("/me", response={200: Me, **READ_ERRORS}, summary="当前用户")
def me(request: ApiRequest) -> Me:
    return Me.build(request.user)
