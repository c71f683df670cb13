"""Official DingTalk stream samples (docs/dingtalk.md, section 6), verbatim.

F3 keeps the source's `"createA"` typo deliberately: the bot must not depend on `createAt`.
"""
from __future__ import annotations

import json

#: F3: a group text bot message frame, conversationType "2" (DP protocol.md).
F3 = json.loads(r'''{
	"specVersion": "1.0",
	"type": "CALLBACK",
	"headers": {
		"appId": "1305d5f5-**-484f-***-97d9****ef67",
		"contentType": "application/json",
		"messageId": "212ca9d7_974_1898c159aa6_1783b",
		"time": "1690362102194",
		"topic": "/v1.0/im/bot/messages/get"
	},
	"data": "{\"conversationId\":\"cidAsXSBLnA==\",\"atUsers\":[{\"dingtalkId\":\"$:LWCP_v1:$4*****TgHFUDZ8Qi8qr3\"}],\"chatbotCorpId\":\"ding9f*****cd16741\",\"chatbotUserId\":\"$:LWCP_v1:$*****x3vTgHFUDZ8Qi8qr3\",\"msgId\":\"msgLICYe****HgY4JtMQw==\",\"senderNick\":\"用户\",\"isAdmin\":true,\"senderStaffId\":\"16650***698\",\"sessionWebhookExpiredTime\":1690367502152,\"createA\": 1690362101894,\"senderCorpId\":\"ding9*****d16741\",\"conversationType\":\"2\",\"senderId\":\"$:LWCP_v1:***jqTgIfhRX9Q==\",\"conversationTitle\":\"测试群\",\"isInAtList\":true,\"sessionWebhook\":\"https://oapi.dingtalk.com/robot/sendBySession?session=76da36b4**********8f59e8\",\"text\":{\"content\":\" 测试数据\"},\"robotCode\":\"ding*****r3xc0b\",\"msgtype\":\"text\"}"
}''')

#: F4: the documented bot-message ack.
F4 = json.loads('''{
  "code" : 200,
  "headers" : {
    "contentType" : "application/json",
    "messageId" : "213d841d_972_1898bb26334_70a7"
  },
  "message" : "OK",
  "data" : "{\\"response\\": null}"
}''')

#: F5: single-chat text `data` (DP docs/learn/bot/message.md).
F5 = json.loads('''{
  "conversationId": "cide****4g=",
  "chatbotCorpId": "ding****6741",
  "chatbotUserId": "$:LWC****ihY/",
  "msgId": "msgY****Pw==",
  "senderNick": "张三",
  "isAdmin": true,
  "senderStaffId": "042***297",
  "sessionWebhookExpiredTime": 1695289035996,
  "createAt": 1695283635765,
  "senderCorpId": "ding****6741",
  "conversationType": "1",
  "senderId": "$:LWC****PA==",
  "sessionWebhook": "https://oapi.dingtalk.com/robot/sendBySession?session=79b48****4d4b",
  "robotCode": "ding****c6gk",
  "msgtype": "text",
  "text": {
    "content": "hello DingTalk!"
  }
}''')

#: F6: rich-text `data` (DP docs/learn/bot/message.md).
F6 = json.loads('''{
  "conversationId": "cide****P4g=",
  "chatbotCorpId": "ding****6741",
  "chatbotUserId": "$:LWC****ihY/",
  "msgId": "msg4****cg==",
  "senderNick": "张三",
  "isAdmin": true,
  "senderStaffId": "042****297",
  "sessionWebhookExpiredTime": 1695291140392,
  "createAt": 1695285740173,
  "senderCorpId": "ding****6741",
  "conversationType": "1",
  "senderId": "$:LWC****PA==",
  "sessionWebhook": "https://oapi.dingtalk.com/robot/sendBySession?session=79b4****4d4b",
  "robotCode": "ding****c6gk",
  "msgtype": "richText",
  "content": {
    "richText": [
      {
        "text": "这个问题示例图如下："
      },
      {
        "pictureDownloadCode": "pWjA****SjIg",
        "downloadCode": "mIof****7A==",
        "type": "picture"
      },
      {
        "text": "通过以上示意图可以明白完整的交互流程"
      }
    ]
  }
}''')

#: F7a: a real `ping` from a production log (SDK issue #30).
F7_PING = json.loads(r'''{"specVersion": "1.0", "type": "SYSTEM", "headers": {"appId": "3bb3c6d6-c31b-4473-addd-60f5cdc50ce0", "connectionId": "98d1ea6f-c580-11ee-9a5f-26110c82ff67", "contentType": "application/json", "messageId": "213661cf_dba_18d5875eda1_23bf2a0", "time": "1707286661313", "topic": "ping"}, "data": "{\"opaque\":\"95dae637-6f9e-415b-a695-d0af4a393eeb\"}"}''')

#: F7c: `disconnect` (DP protocol.md; its stray whitespace dropped).
F7_DISCONNECT = {"type": "SYSTEM", "headers": {"topic": "disconnect", "contentType": "application/json"},
                 "data": "{\"reason\" : \"connection is expired\"}"}

#: F8: card callback frame, SYNTHESIZED by the notes from the SDK models (no verbatim sample exists).
F8 = json.loads(r'''{"specVersion":"1.0","type":"CALLBACK","headers":{"contentType":"application/json","messageId":"SYNTH-card-0001","time":"1700000000000","topic":"/v1.0/card/instances/callback"},"data":"{\"outTrackId\":\"req-42-approval\",\"corpId\":\"dingSYNTHCORP\",\"userId\":\"staff001\",\"userIdType\":1,\"type\":\"actionCallback\",\"spaceType\":\"IM_GROUP\",\"spaceId\":\"cidSYNTH==\",\"extension\":\"{}\",\"content\":\"{\\\"cardPrivateData\\\":{\\\"actionIds\\\":[\\\"approve\\\"],\\\"params\\\":{\\\"action\\\":\\\"approve\\\",\\\"requestId\\\":\\\"42\\\"}}}\"}"}''')
